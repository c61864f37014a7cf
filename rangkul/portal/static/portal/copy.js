// "Copy" buttons: hidden until this script runs, so without JavaScript the code is plain, selectable text.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        var status = document.getElementById(button.getAttribute("aria-controls"));
        if (status) status.textContent = button.dataset.copied;
      });
    });
  });
});
