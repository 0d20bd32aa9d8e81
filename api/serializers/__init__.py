"""Small input and output serializers, one module per area of api/views/; they translate HTTP to service
arguments and back, nothing more."""
