// Command forms, made easier where the browser runs scripts (they work without: the server
// adds a row, takes the fact picked, and judges every ID number).
(function () {
  var form = document.getElementById("command-form");
  if (!form) return;

  // Rows: "增加一行" adds a blank row in place; each row gets a "删除" button. Inputs are named
  // list-N-column (or list-N): renumbered after each change, so the rows read 0, 1, 2…
  function renumber(table) {
    table.querySelectorAll("tbody tr").forEach(function (row, n) {
      row.querySelectorAll("[name]").forEach(function (input) {
        input.name = input.name.replace(/^([A-Za-z_]+)-\d+(-|$)/, "$1-" + n + "$2");
        var label = input.getAttribute("aria-label");
        if (label) input.setAttribute("aria-label", label.replace(/ \d+(：|$)/, " " + (n + 1) + "$1"));
      });
    });
  }
  function removable(table, row) {
    var cell = document.createElement("td");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "remove";
    button.textContent = "删除";
    button.addEventListener("click", function () {
      var rows = table.querySelectorAll("tbody tr");
      if (rows.length > 1) row.remove(); else clear(row);
      renumber(table);
    });
    cell.appendChild(button);
    row.appendChild(cell);
  }
  function clear(row) {
    row.querySelectorAll("input, select, textarea").forEach(function (input) {
      if (input.type === "checkbox" || input.type === "radio") input.checked = input.defaultChecked;
      else if (input.tagName === "SELECT") {
        Array.prototype.forEach.call(input.options, function (o) { o.selected = o.defaultSelected; });
      } else input.value = "";
    });
    row.querySelectorAll(".field-error, .id-hint").forEach(function (p) { p.textContent = ""; });
    row.querySelectorAll(".has-error").forEach(function (c) { c.classList.remove("has-error"); });
  }
  document.querySelectorAll("table[data-rows]").forEach(function (table) {
    table.querySelector("thead tr").appendChild(document.createElement("th"));
    table.querySelectorAll("tbody tr").forEach(function (row) { removable(table, row); });
  });
  document.querySelectorAll("button[data-more]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var table = document.getElementById(button.getAttribute("data-more"));
      var rows = table.querySelectorAll("tbody tr");
      var last = rows[rows.length - 1];
      var row = last.cloneNode(true);
      row.querySelectorAll("td:last-child button.remove").forEach(function (b) { b.parentNode.remove(); });
      clear(row);
      table.querySelector("tbody").appendChild(row);
      removable(table, row);
      renumber(table);
      watchIdNumbers(row);
      var first = row.querySelector("input, select");
      if (first) first.focus();
    });
  });

  // An ID number checked as it is typed (GB 11643 check digit); the server still judges it.
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";
  function idProblem(text) {
    if (!/^\d{17}[\dX]$/.test(text)) return "身份证号码应为18位（17位数字加校验码），已输入" + text.length + "位";
    var total = 0;
    for (var i = 0; i < 17; i++) total += Number(text[i]) * WEIGHTS[i];
    var expected = CHECK[total % 11];
    return expected === text[17] ? "" : "校验码不符：按前17位，第18位应为 " + expected + "，请核对";
  }
  function watchIdNumbers(scope) {
    scope.querySelectorAll("input[data-id-number]").forEach(function (input) {
      var hint = input.nextElementSibling;
      function check() {
        var text = input.value.trim().toUpperCase();
        var problem = text ? idProblem(text) : "";
        hint.textContent = problem || (text ? "校验码正确" : "");
        hint.classList.toggle("wrong", Boolean(problem));
        input.setAttribute("aria-invalid", problem ? "true" : "false");
      }
      input.addEventListener("input", check);
      if (input.value) check();
    });
  }
  watchIdNumbers(form);

  // A correction's fact: picking one shows its fields at once.
  form.querySelectorAll("select[data-redraw]").forEach(function (select) {
    select.addEventListener("change", function () {
      var pick = form.querySelector("button.pick");
      if (form.requestSubmit) form.requestSubmit(pick); else pick.click();
    });
  });
})();
