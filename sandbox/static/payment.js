/* Invoicebox sandbox payment page, shipment control only: a progressive enhancement.
   Without it the pages work as they are (the wait page refreshes itself). With it:
   - pressing Pay shows the spinner at once and stops a second press;
   - the wait page asks /confirm.json until the shop has answered, then moves on. */
(function () {
  "use strict";
  var actions = document.querySelector(".actions[data-confirms]");
  if (actions) {
    actions.addEventListener("submit", function (event) {
      var form = event.target;
      if (!/\/pay$/.test(form.getAttribute("action") || "")) { return; }
      if (actions.dataset.busy) { event.preventDefault(); return; }
      actions.dataset.busy = "1";
      var paying = document.getElementById("paying");
      if (paying) { paying.hidden = false; }
      actions.hidden = true;
    });
  }
  var waiting = document.querySelector(".waiting[data-poll]");
  if (waiting) {
    var poll = function () {
      fetch(waiting.dataset.poll, {headers: {"Accept": "application/json"}, cache: "no-store"})
        .then(function (response) { return response.ok ? response.json() : {state: "waiting"}; })
        .then(function (answer) {
          if (answer.state === "waiting") { window.setTimeout(poll, 500); }
          else { window.location.replace(waiting.dataset.next); }
        })
        .catch(function () { window.setTimeout(poll, 1500); });
    };
    window.setTimeout(poll, 300);
  }
}());
