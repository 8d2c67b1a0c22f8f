// The catalog a first-time visitor sees is the same page for everyone, so its "Add to
// cart" forms come with an empty CSRF token (storefront/shop/catalog_page.py). When the
// buyer presses one, this fetches a token for their new session, fills every empty token
// field on the page and sends the form. Without scripts the form goes without a token
// and the shop answers with a second chance instead.
(function () {
  "use strict";
  var source = document.querySelector("[data-csrf-token-url]");
  if (!source || !window.fetch) {
    return;
  }
  var url = source.getAttribute("data-csrf-token-url");

  function emptyTokenField(form) {
    var field = form.querySelector('input[name="csrf_token"]');
    return field && !field.value ? field : null;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!emptyTokenField(form)) {
      return;
    }
    event.preventDefault();
    fetch(url, {
      headers: { Accept: "application/json" },
      cache: "no-store",
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .catch(function () {
        return null;
      })
      .then(function (answer) {
        if (answer && answer.csrf_token) {
          document.querySelectorAll('input[name="csrf_token"]').forEach(function (field) {
            if (!field.value) {
              field.value = answer.csrf_token;
            }
          });
        }
        form.submit(); // does not fire "submit" again
      });
  });
})();
