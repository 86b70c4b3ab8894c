// Idea page: reply buttons set the parent of the comment form.
(function () {
  "use strict";
  var form = document.getElementById("comment-form");
  if (!form) return;
  var parent = form.querySelector("input[name=parent_id]");
  var note = document.getElementById("replying-to");
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".reply-button");
    if (button) {
      parent.value = button.dataset.parent;
      note.hidden = false;
      form.querySelector("textarea").focus();
    }
    if (event.target.id === "cancel-reply") {
      parent.value = "";
      note.hidden = true;
    }
  });
})();
