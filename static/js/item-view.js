// Tells the site this item was seen, once the page has loaded in front of the person. Opening the address alone
// (a link from another site, a prefetch) records nothing; the post carries the CSRF token from the page.
(function () {
  "use strict";
  var form = document.getElementById("item-viewed");
  if (!form || !window.fetch) return;
  fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" }).catch(function () {});
})();
