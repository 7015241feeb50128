// Public programme: the agenda buttons save without leaving the page. Without this
// script they are ordinary forms that post and come back.
(function () {
  "use strict";
  var status = document.getElementById("agenda-status");
  var counter = document.querySelector("[data-agenda-count]");
  document.querySelectorAll("form.agenda-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = form.querySelector("button");
      var action = form.querySelector("input[name=action]");
      var label = button.querySelector(".agenda-label");
      button.disabled = true;
      // form.action would be the input named "action": read the attribute.
      fetch(form.getAttribute("action"), {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin"
      })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (answer) {
          action.value = answer.saved ? "remove" : "add";
          label.textContent = answer.saved ? button.dataset.remove : button.dataset.add;
          button.classList.toggle("secondary", answer.saved);
          if (counter) { counter.textContent = answer.count; }
          if (status) { status.textContent = answer.saved ? button.dataset.added : button.dataset.removed; }
        })
        .catch(function () { form.submit(); })
        .finally(function () { button.disabled = false; });
    });
  });
})();
