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

  // Like, save, hide and rating answer in place: the page keeps its place and its order. Without fetch, or when the
  // answer is not the expected JSON (logged out, for instance), the form posts as a plain form instead.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-feedback") || !window.fetch || !window.FormData) return;
    event.preventDefault();
    var submitter = event.submitter;
    var body = new FormData(form);
    if (submitter && submitter.name) body.set(submitter.name, submitter.value);
    form.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) throw new Error(response.status);
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (answer) {
        if (answer.ok) showStates(answer.data);
        announce(answer.data.message);
      })
      .catch(function () {
        if (submitter && submitter.name) {
          var value = document.createElement("input");
          value.type = "hidden";
          value.name = submitter.name;
          value.value = submitter.value;
          form.appendChild(value);
        }
        form.submit();
      })
      .then(function () { form.removeAttribute("aria-busy"); });
  });

  // Every button of the item on the page shows its new state: liking clears a dislike, and the same item can be
  // both the page's item and a card.
  function showStates(data) {
    var buttons = document.querySelectorAll('[data-item="' + data.item + '"][data-kind]');
    buttons.forEach(function (button) {
      var kind = button.getAttribute("data-kind");
      var pressed = kind === "rating" ? String(data.states.rating) === button.value : Boolean(data.states[kind]);
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      if (kind !== "rating") {
        button.textContent = button.getAttribute(pressed ? "data-pressed-label" : "data-label");
      }
    });
    document.querySelectorAll('.card[data-item-id="' + data.item + '"]').forEach(function (card) {
      card.classList.toggle("is-hidden", Boolean(data.states.hide));
    });
    var legend = document.querySelector("[data-rating-legend]");
    if (legend && data.kind === "rating") {
      legend.textContent = data.states.rating
        ? "Your rating: " + data.states.rating + " out of 5 (press it again to remove)"
        : "Your rating";
    }
  }

  function announce(message) {
    var status = document.getElementById("live-status");
    if (!status || !message) return;
    status.textContent = message;
    status.classList.add("is-shown");
    window.clearTimeout(announce.timer);
    announce.timer = window.setTimeout(function () { status.classList.remove("is-shown"); }, 4000);
  }

  // Ask before a destructive reset.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
