"""Writes for the recommender, by subject: a person's interests, item statistics and neighbour lists, training."""
