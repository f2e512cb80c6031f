// Small progressive enhancement; every page works without it.
(function () {
  // Enrollment: reproductive questions apply to female patients only.
  var female = document.getElementById('sex-f'), male = document.getElementById('sex-m');
  var facts = document.querySelector('[data-female-only]');
  if (female && male && facts) {
    var sync = function () { facts.hidden = male.checked; };
    female.addEventListener('change', sync); male.addEventListener('change', sync); sync();
  }
  // Pharmacy counter: scanners and people type lower case; numbers are upper case.
  var number = document.querySelector('.counter input[name=Number]');
  if (number) { number.addEventListener('input', function () { number.value = number.value.toUpperCase(); }); }
  // Print buttons (no inline handlers: the content security policy allows only this file's script).
  document.querySelectorAll('[data-print]').forEach(function (b) { b.addEventListener('click', function () { window.print(); }); });
})();
