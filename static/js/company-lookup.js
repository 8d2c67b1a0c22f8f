// "Find company" without leaving the page: posts the INN to the shop, which asks the
// registry through Invoicebox, then fills in the name, KPP and legal address and says what
// the registry answered. Runs on "Find company", on Enter in the INN field, and when the
// buyer moves on from a changed INN to another field. Not when they go straight for a
// button: the note appearing would move "Pay" away from under their pointer. Without
// JavaScript the button submits the form and the server fills the fields in instead.
(function () {
  "use strict";
  var box = document.querySelector("[data-company-lookup]");
  if (!box || !window.fetch || !window.FormData) {
    return;
  }
  var form = box.closest("form");
  var button = box.querySelector("button[name=find_company]");
  var note = box.querySelector("[data-company-lookup-note]");
  var inn = form.elements.namedItem("inn");
  // The page's language: the server writes these texts into data attributes.
  var fallback = box.getAttribute("data-text-unavailable");
  var lookingUp = box.getAttribute("data-text-looking-up");
  var lastAsked = null;

  function show(message, tone) {
    note.textContent = message;
    note.className = "company-lookup-note flash" + (tone ? " flash-" + tone : "");
  }

  function fill(company) {
    form.elements.namedItem("full_name").value = company.name;
    form.elements.namedItem("kpp").value = company.kpp || "";
    if (company.address) {
      form.elements.namedItem("address").value = company.address;
    }
    var legal = form.querySelector("input.customer-type[value=legal]");
    if (legal && !legal.checked) {
      legal.checked = true;
      legal.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function lookUp(again) {
    var value = inn.value.replace(/\s+/g, "");
    if (!value || (value === lastAsked && !again)) {
      return;
    }
    lastAsked = value;
    var body = new FormData();
    body.append("csrf_token", form.elements.namedItem("csrf_token").value);
    body.append("inn", value);
    button.disabled = true;
    show(lookingUp + " " + value + "\u2026", "");
    fetch(box.getAttribute("data-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        if (answer.outcome === "found" && answer.company) {
          fill(answer.company);
        }
        show(answer.message || fallback, answer.tone || "warning");
      })
      .catch(function () {
        show(fallback, "warning");
      })
      .then(function () {
        button.disabled = false;
      });
  }

  button.addEventListener("click", function (event) {
    event.preventDefault();
    lookUp(true);
  });
  inn.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      lookUp(true);
    }
  });
  inn.addEventListener("blur", function (event) {
    var next = event.relatedTarget;
    if (next && next.form === form && /^(INPUT|TEXTAREA|SELECT)$/.test(next.tagName)) {
      lookUp(false);
    }
  });
})();
