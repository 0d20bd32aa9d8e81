// Small progressive enhancements; every feature works without JavaScript.
(function () {
  "use strict";

  // "More" appends the next page of cards in place instead of loading a new page.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("#more-link");
    if (!link || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    link.setAttribute("aria-busy", "true");
    fetch(link.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var list = document.getElementById("feed-list");
        var cards = page.querySelectorAll("#feed-list > .card");
        var firstNew = null;
        cards.forEach(function (card) {
          if (document.getElementById(card.id)) return;
          var node = document.importNode(card, true);
          list.appendChild(node);
          firstNew = firstNew || node;
        });
        var nextLink = page.getElementById("more-link");
        if (nextLink) {
          link.href = nextLink.getAttribute("href");
          link.removeAttribute("aria-busy");
        } else {
          link.parentNode.remove();
        }
        // Keyboard and screen reader users continue from the first new card.
        var focusTarget = firstNew && firstNew.querySelector(".card-title a");
        if (focusTarget) focusTarget.focus();
      })
      .catch(function () {
        window.location.href = link.href;
      });
  });

  // Ask before a destructive reset.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
