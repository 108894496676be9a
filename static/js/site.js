// Referral Board's only script: small enhancements; every page works without it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Bring the person's eyes to what just happened: the error summary first, else the message.
    // After an action that came back to an anchor (a pipeline row's opening, say), the message
    // moves into that section, so it is read where the person acted and not 1,000 px above.
    var summary = document.querySelector("[data-error-summary]");
    var messages = document.getElementById("messages");
    var anchored = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    if (summary) {
      summary.focus();
    } else if (messages && anchored) {
      anchored.insertBefore(messages, anchored.firstElementChild ? anchored.firstElementChild.nextSibling : null);
      messages.focus();
      messages.scrollIntoView({ block: "center" });
    } else if (messages) {
      messages.focus();
    }
    // The header menu is a <details>: close it when focus or a click leaves it (phones).
    var menu = document.getElementById("site-menu");
    if (menu && window.matchMedia("(min-width: 801px)").matches) {
      menu.open = true;  // browsers without ::details-content styling
    }
    if (menu) {
      document.addEventListener("click", function (event) {
        if (menu.open && !menu.contains(event.target) && window.matchMedia("(max-width: 800px)").matches) {
          menu.open = false;
        }
      });
    }
    audiencePreview();
  });

  // The new-opening form: the audience follows the visibility and "Hide from" as they change.
  // The endpoint applies the visibility rule; a refused "Hide from" list leaves the last number.
  function audiencePreview() {
    var box = document.getElementById("audience");
    var form = box && box.closest("form");
    if (!form) return;
    var text = document.getElementById("audience-text");
    var timer = null;
    function refresh() {
      var url = new URL(box.getAttribute("data-audience-url"), window.location.href);
      var chosen = form.querySelector("input[name=visibility]:checked");
      url.searchParams.set("visibility", chosen ? chosen.value : "");
      url.searchParams.set("excluded_emails", (form.elements.excluded_emails || { value: "" }).value);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
        .then(function (result) {
          if (result[0]) {
            text.textContent = result[1].text;
            box.removeAttribute("data-stale");
          } else {
            box.setAttribute("data-stale", "true");
          }
        })
        .catch(function () { box.setAttribute("data-stale", "true"); });
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "visibility" || event.target.name === "excluded_emails") refresh();
    });
    form.addEventListener("input", function (event) {
      if (event.target.name !== "excluded_emails") return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  }
})();
