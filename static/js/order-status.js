// Polls an order's status while the page waits for the payment to be confirmed, and
// reloads the page when the shop's database says something changed. The page opts in
// with data-status-url (the JSON endpoint) and data-state (the state it was drawn in).
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var drawnState = box.getAttribute("data-state");
  var started = Date.now();

  function delay() {
    // Every 2 s at first; after two minutes, every 10 s.
    return Date.now() - started < 120000 ? 2000 : 10000;
  }

  function poll() {
    var waited = Math.floor((Date.now() - started) / 1000);
    fetch(url + "?waited=" + waited, {
      headers: { Accept: "application/json" },
      cache: "no-store",
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (status) {
        if (status && status.state !== drawnState) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, delay());
      })
      .catch(function () {
        window.setTimeout(poll, delay());
      });
  }

  window.setTimeout(poll, delay());
})();
