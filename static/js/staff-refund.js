// The refund screen's running total. The server recomputes and checks everything;
// this only shows staff what they are about to refund. Money is integer kopecks.
(function () {
  "use strict";

  var form = document.getElementById("refund-form");
  if (!form) {
    return;
  }
  var total = document.getElementById("refund-total");
  var everything = document.getElementById("refund-everything");
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-available]"));

  // Money in the page's language, as the server writes it: "2 490,00 ₽" or "2,490.00 ₽".
  var digits = new Intl.NumberFormat(total.getAttribute("data-locale") || "ru", {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2
  });

  function rub(kopecks) {
    return digits.format(kopecks / 100).replace(/[\s\u202f]/g, "\u00a0") + "\u00a0₽";
  }

  function lineTotal(row) {
    var available = parseInt(row.dataset.available, 10);
    if (everything && everything.checked) {
      return available;
    }
    var qty = row.querySelector("input.qty");
    var odd = row.querySelector(".odd-part input");
    var units = qty ? parseInt(qty.value, 10) : 0;
    var max = qty ? parseInt(qty.max, 10) : 0;
    if (!(units >= 0)) {
      units = 0;
    }
    units = Math.min(units, max);
    var amount = units * parseInt(row.dataset.unitPrice, 10);
    if (odd && odd.checked) {
      amount += parseInt(row.dataset.oddPart, 10);
    }
    return Math.min(amount, available);
  }

  function update() {
    var sum = rows.reduce(function (acc, row) { return acc + lineTotal(row); }, 0);
    total.textContent = rub(sum);
    rows.forEach(function (row) {
      row.querySelectorAll("input.qty, .odd-part input").forEach(function (input) {
        input.disabled = Boolean(everything && everything.checked);
      });
    });
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
