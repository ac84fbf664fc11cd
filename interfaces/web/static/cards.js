// A table of class "cards" reads as one card per row on a phone (app.css): each cell is
// labelled with its column's heading, unless the page labelled it itself.
document.querySelectorAll("table.cards").forEach(function (table) {
  var headings = [];
  table.querySelectorAll("thead th").forEach(function (th) {
    for (var n = 0; n < th.colSpan; n++) headings.push(th.textContent.trim());
  });
  table.querySelectorAll("tbody tr").forEach(function (row) {
    var column = 0;
    Array.prototype.forEach.call(row.cells, function (cell) {
      if (cell.colSpan === 1 && headings[column] && !cell.hasAttribute("data-label")) {
        cell.setAttribute("data-label", headings[column]);
      }
      column += cell.colSpan;
    });
  });
});
