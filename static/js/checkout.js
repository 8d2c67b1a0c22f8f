// Shows the company fields only when "Company" is chosen. Without JavaScript they stay
// visible, and the server ignores them for an Individual.
(function () {
  "use strict";
  var fields = document.querySelector("[data-company-fields]");
  var choices = document.querySelectorAll("input.customer-type");
  if (!fields || !choices.length) {
    return;
  }

  function update() {
    var company = document.querySelector("input.customer-type[value=legal]:checked");
    fields.hidden = !company;
  }

  choices.forEach(function (choice) {
    choice.addEventListener("change", update);
  });
  update();
})();
