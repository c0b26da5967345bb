// Progressive enhancement for the complaint pages. Every page works without this file; with it:
// the unit search answers while typing, print buttons print, a form cannot be submitted twice by a
// double click, and fields that only apply to one choice hide for the others. No inline script is
// needed (CSP script-src 'self'); nothing here builds HTML from strings.
(function () {
  'use strict';

  function debounce(fn, ms) {
    var t = null;
    return function () {
      var args = arguments;
      clearTimeout(t);
      t = setTimeout(function () {
        fn.apply(null, args);
      }, ms);
    };
  }

  // Live unit search on the intake page.
  function setupUnitSearch(input) {
    var form = input.form;
    var results = document.querySelector('[data-unit-results]');
    if (!form || !results) return;
    var endpoint = input.getAttribute('data-endpoint');
    var pickBase = input.getAttribute('data-pick');
    var chooseLabel = results.getAttribute('data-choose-label') || '选择';
    var noneLabel = results.getAttribute('data-none-label') || '';
    var status = document.querySelector('[data-unit-status]');
    if (!status) {
      status = document.createElement('p');
      status.className = 'muted';
      status.setAttribute('data-unit-status', '');
      results.parentNode.insertBefore(status, results.nextSibling);
    }
    var foundLabel = results.getAttribute('data-found-label') || '{n}';
    var narrowLabel = results.getAttribute('data-narrow-label') || '';
    var seq = 0;
    function render(units, query, total, more) {
      while (results.firstChild) results.removeChild(results.firstChild);
      if (!units.length) {
        var li = document.createElement('li');
        li.textContent = noneLabel;
        results.appendChild(li);
      }
      units.forEach(function (u) {
        var li = document.createElement('li');
        var text = document.createElement('span');
        var owners = (u.owners || [])
          .map(function (o) {
            return o.name + (o.phone ? ' ' + o.phone : '');
          })
          .join('、');
        text.textContent = u.label + (u.communityName ? ' · ' + u.communityName : '') + (owners ? ' · ' + owners : '');
        var a = document.createElement('a');
        a.className = 'button secondary';
        a.href = pickBase + '?unit=' + encodeURIComponent(u.id) + '&q=' + encodeURIComponent(query);
        a.textContent = chooseLabel;
        li.appendChild(text);
        li.appendChild(a);
        results.appendChild(li);
      });
      // How many match, and (when this is not all of them) that typing more narrows it.
      status.textContent = foundLabel.replace('{n}', String(total)) + (more ? ' ' + narrowLabel : '');
      var pager = status.nextElementSibling;
      if (pager && pager.classList.contains('pager')) pager.hidden = true;
    }
    var search = debounce(function () {
      var q = input.value.trim();
      if (q.length < 1) return;
      var mine = ++seq;
      fetch(endpoint + '?q=' + encodeURIComponent(q), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (data) {
          if (data && mine === seq) render(data.units || [], q, typeof data.total === 'number' ? data.total : (data.units || []).length, !!data.more);
        })
        .catch(function () {
          /* the plain form still works */
        });
    }, 250);
    input.addEventListener('input', search);
  }

  // Fields that apply to one choice only: data-show-if="name=value".
  function setupConditional(el) {
    var rule = el.getAttribute('data-show-if').split('=');
    var form = el.closest('form');
    if (!form) return;
    function update() {
      var field = form.elements[rule[0]];
      if (!field) return;
      var value = field.value;
      if (field.length && !field.tagName) {
        value = '';
        for (var i = 0; i < field.length; i++) if (field[i].checked) value = field[i].value;
      }
      el.hidden = value !== rule[1];
    }
    form.addEventListener('change', update);
    update();
  }

  // On a phone a table is a stack of cards: each cell is headed by its column's name (app.css).
  function labelCells(table) {
    var head = table.querySelector('thead tr');
    if (!head) return;
    var labels = [];
    Array.prototype.forEach.call(head.children, function (th) {
      for (var i = 0; i < (th.colSpan || 1); i++) labels.push(th.textContent.trim());
    });
    Array.prototype.forEach.call(table.querySelectorAll('tbody tr'), function (tr) {
      var col = 0;
      Array.prototype.forEach.call(tr.children, function (cell) {
        if (labels[col] && !cell.hasAttribute('data-label')) cell.setAttribute('data-label', labels[col]);
        col += cell.colSpan || 1;
      });
    });
  }

  // A character counter under long text fields: the limit is shown while typing, nothing is cut off
  // (the field has no maxlength; the server answers an over-long text with a field error, the text kept).
  function setupCounter(field) {
    var max = Number(field.getAttribute('data-maxlength'));
    if (!max) return;
    var en = (document.documentElement.lang || '').indexOf('en') === 0;
    var out = document.createElement('p');
    out.className = 'counter';
    out.id = (field.id || field.name) + '-counter';
    out.setAttribute('aria-live', 'polite');
    var described = field.getAttribute('aria-describedby');
    field.setAttribute('aria-describedby', (described ? described + ' ' : '') + out.id);
    field.parentNode.insertBefore(out, field.nextSibling);
    function count() {
      var n = Array.from(field.value).length;
      var limit = max.toLocaleString('en-US');
      out.textContent = en
        ? n.toLocaleString('en-US') + ' of at most ' + limit + ' characters'
        : '已输入 ' + n.toLocaleString('en-US') + ' 字，最多 ' + limit + ' 字';
      if (n > max) out.textContent += en ? ' (' + (n - max).toLocaleString('en-US') + ' too many)' : '（超出 ' + (n - max).toLocaleString('en-US') + ' 字）';
      out.className = n > max ? 'counter over' : 'counter';
    }
    field.addEventListener('input', count);
    count();
  }

  // The handler picker: typing narrows the select's options (name, department, mobile); the chosen one stays.
  function setupStaffFilter(input) {
    var select = document.getElementById(input.getAttribute('data-filter-select'));
    if (!select) return;
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (o) {
        o.hidden = !!q && o.value !== '' && !o.selected && o.text.toLowerCase().indexOf(q) < 0;
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-filter-select]'), setupStaffFilter);
    Array.prototype.forEach.call(document.querySelectorAll('main table'), labelCells);
    Array.prototype.forEach.call(document.querySelectorAll('[data-maxlength]'), setupCounter);
    Array.prototype.forEach.call(document.querySelectorAll('[data-unit-search]'), setupUnitSearch);
    Array.prototype.forEach.call(document.querySelectorAll('[data-show-if]'), setupConditional);
    // The 12345 reply text: one click puts it on the clipboard to paste into the hotline's system.
    Array.prototype.forEach.call(document.querySelectorAll('[data-copy]'), function (b) {
      var source = document.getElementById(b.getAttribute('data-copy'));
      if (!source) return;
      b.hidden = false;
      b.addEventListener('click', function () {
        var done = function () {
          b.textContent = b.getAttribute('data-copied') || b.textContent;
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(source.value).then(done, function () {
            source.select();
          });
        } else {
          source.select();
          if (document.execCommand && document.execCommand('copy')) done();
        }
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-print]'), function (b) {
      b.hidden = false;
      b.addEventListener('click', function () {
        window.print();
      });
    });
    // A double click sends one request; the idempotency key in the form covers re-sends anyway.
    document.addEventListener('submit', function (e) {
      var form = e.target;
      // getAttribute, not form.method: a field named "method" would shadow the property.
      if (!form || (form.getAttribute('method') || '').toLowerCase() !== 'post') return;
      if (form.getAttribute('data-submitted')) {
        e.preventDefault();
        return;
      }
      form.setAttribute('data-submitted', '1');
      setTimeout(function () {
        Array.prototype.forEach.call(form.querySelectorAll('button[type=submit],button:not([type])'), function (b) {
          b.disabled = true;
        });
      }, 0);
    });
    // Coming back with the browser's back button must not leave forms locked.
    window.addEventListener('pageshow', function () {
      Array.prototype.forEach.call(document.querySelectorAll('form[data-submitted]'), function (f) {
        f.removeAttribute('data-submitted');
        Array.prototype.forEach.call(f.querySelectorAll('button'), function (b) {
          b.disabled = false;
        });
      });
    });
    var first = document.querySelector('[aria-invalid=true]');
    if (first) first.focus();
  });
})();
