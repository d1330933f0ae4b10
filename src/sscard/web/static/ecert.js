// The e-certificate's countdown (R-SET-3): served from this site, no inline script.
// Without it the page still says when the certificate expires and offers a new one.
(function () {
  "use strict";
  var timer = document.getElementById("ecert-countdown");
  var refresh = document.getElementById("ecert-refresh");
  if (!timer || !refresh) { return; }
  var left = parseInt(timer.getAttribute("data-seconds"), 10) || 0;
  var template = timer.getAttribute("data-template");
  var ends = Date.now() + left * 1000;
  var sent = false;
  timer.hidden = false;

  function renew() {
    // Only while the holder looks at the page: a phone left in a pocket asks for no tokens.
    if (sent || document.visibilityState !== "visible") { return; }
    sent = true;
    refresh.submit();
  }

  function tick() {
    var seconds = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
    if (seconds > 0) {
      timer.textContent = template.replace("{seconds}", String(seconds));
      window.setTimeout(tick, 1000);
      return;
    }
    timer.textContent = timer.getAttribute("data-expired");
    renew();
    document.addEventListener("visibilitychange", renew);
  }

  tick();
}());
