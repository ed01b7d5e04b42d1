import json
S = r'''
{{ 1 + 2 }}|{{ 7 / 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 2 ** -1 }}
{{ 1.0 }}|{{ 0.1 + 0.2 }}|{{ 1e16 }}|{{ 1e-5 }}|{{ 0.0001 }}|{{ 123456789.125 }}|{{ 1.5e300 * 1e10 }}|{{ -0.0 }}|{{ 3.0 * 2 }}
{{ 10 / 5 }}|{{ 2 * 3.5 }}|{{ True + 1 }}|{{ 'ab' * 3 }}|{{ 3 * 'ab' }}|{{ [1] * 2 }}|{{ [1, 2] + [3] }}
{{ 'a' ~ 1 ~ none ~ true ~ undefined_thing }}|{{ 'x' + 'y' }}
{{ none }}|{{ true }}|{{ false }}|{{ None }}|{{ True }}
{{ [1, 'a', none, true, 1.5, {'k': 'v'}] }}|{{ ('a',) }}|{{ (1, 2) }}|{{ {'a': [1, {'b': none}]} }}
{{ "it's" }}|{{ ["it's", 'say "hi"', 'both \'"', 'back\\slash', 'nl\n', 'tab\t', '\x01', 'é', '\u200b'] }}
{{ 'a\tb\nc' }}|{{ "\u00e9\x41\101\N" }}|{{ 'don\'t' }}|{{ "q\"q" }}
{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}|{{ 1 == 1.0 }}|{{ 'a' < 'b' }}|{{ [1,2] < [1,3] }}|{{ 1 != 2 }}|{{ none == none }}|{{ true == 1 }}
{{ 'b' in 'abc' }}|{{ 2 in [1,2] }}|{{ 'a' in {'a': 1} }}|{{ 'z' not in 'abc' }}|{{ 1 in (1, 2) }}
{{ 1 and 2 }}|{{ 0 and 2 }}|{{ 0 or 'x' }}|{{ '' or [] }}|{{ not 0 }}|{{ not [] }}|{{ [] or none }}
{{ 'yes' if 1 else 'no' }}|{{ 'yes' if 0 else 'no' }}|{{ 'yes' if 0 }}|[{{ ('yes' if 0) is defined }}]
{{ -2 ** 2 }}|{{ 2 ** 3 ** 2 }}|{{ -1|abs }}|{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ 10 - 2 - 3 }}|{{ 2 * 3 ~ 4 }}
{{ s[0] }}|{{ s[-1] }}|{{ s[1:4] }}|{{ s[::-1] }}|{{ s[::2] }}|{{ s[-3:] }}|{{ s[:-3] }}|{{ s[100] }}|{{ s[2:1] }}
{{ l[0] }}|{{ l[-1] }}|{{ l[1:] }}|{{ l[::-1] }}|{{ l[5] }}|{{ l[-10:] }}|{{ l[:100] }}|{{ l[1::-1] }}
{{ u|length }}|{{ u[::-1] }}|{{ u[-1] }}|{{ u[3] }}|{{ u|upper }}|{{ u|list }}|{{ u|tojson }}|{{ u|tojson(ensure_ascii=true) }}
{{ d.a }}|{{ d['b'] }}|{{ d.missing }}|{{ d['missing'] }}|{{ d.items is callable }}|{{ d.get('a') }}|{{ d.get('zz', 5) }}|{{ d.get('zz') }}
{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ d|tojson(sort_keys=true) }}|{{ d|tojson(separators=(',', ':')) }}|{{ [] | tojson(indent=2) }}|{{ {} | tojson }}
{{ nested|tojson(indent=4) }}
{{ nested|tojson(indent='\t') }}|{{ [1.0, 2.5, 1e20, -0.0, none, true]|tojson }}|{{ {1: 'a', none: 'b', true: 'c'}|tojson }}
{{ '"\\\n\t\r\b\f\x01\x7f é 🦙'|tojson }}|{{ 'ü'|tojson(ensure_ascii=True) }}
{{ d.items()|list }}|{{ d.keys()|list }}|{{ d.values()|list }}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k }}{% endfor %}
{% for x in l %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.previtem }}/{{ loop.nextitem }};{% endfor %}
{% for x in l if x > 1 %}{{ loop.index }}:{{ x }}:{{ loop.last }};{% else %}empty{% endfor %}
{% for x in [] %}{{ x }}{% else %}empty{% endfor %}|{% for x in none_var %}{{ x }}{% else %}empty2{% endfor %}
{% for x in range(5) %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}
{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}|{% for (a, b), c in [((1, 2), 3)] %}{{ a }}{{ b }}{{ c }}{% endfor %}
{% for x in range(3) %}{% for y in range(2) %}{{ loop.index }}{{ x }}{% endfor %};{% endfor %}
{{ range(5)|list }}|{{ range(1, 10, 3)|list }}|{{ range(5, 0, -2)|list }}|{{ range(0) |list }}|{{ range(3) }}
{% set x = 1 %}{% for i in range(3) %}{{ x }}{% set x = i + 10 %}{{ x }};{% endfor %}{{ x }}
{% set ns = namespace(c=0, items=[]) %}{% for i in range(4) %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}|{{ ns }}
{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.zz }}
{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set t = 1, 2 %}{{ t }}
{% set x %}hello {{ s }}{% endset %}[{{ x }}]|{% set y | upper %}abc{% endset %}{{ y }}
{% macro m(a, b=2, c='x') %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }}|{{ m(1, 3) }}|{{ m(1, c='z') }}|{{ m() }}
{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(3) }}|{{ m(3, 1) }}
{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, x=3) }}
{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}
{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}
{% macro outer() %}[{{ caller() }}]{% endmacro %}{% call outer() %}inside {{ s }}{% endcall %}
{% macro list_items(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(item) list_items([1,2]) %}<{{ item }}>{% endcall %}
{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(5) }}
{% macro m() %}{{ s }}{% endmacro %}{% set s = 'changed' %}{{ m() }}
{% filter upper %}hello {{ s }}{% endfilter %}|{% filter replace('l', 'L') | trim %}  hello  {% endfilter %}
{% for item in tree recursive %}<{{ item.name }}{% if item.children %}:{{ loop(item.children) }}{% endif %}>{% endfor %}
{{ s|lower }}|{{ s|upper }}|{{ s|title }}|{{ 'hello wORLD-x(y'|title }}|{{ "they're bill's"|title }}|{{ "they're"|capitalize }}
{{ '  x  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ none|trim }}|{{ 123|string }}|{{ none|string }}|{{ d|string }}|{{ 1.5|string }}
{{ l|join(',') }}|{{ l|join }}|{{ [1, none, 'a']|join('-') }}|{{ people|join(', ', attribute='name') }}
{{ l|first }}|{{ l|last }}|{{ []|first }}|{{ l|min }}|{{ l|max }}|{{ l|sum }}|{{ l|sort }}|{{ l|sort(reverse=true) }}|{{ l|reverse|list }}|{{ 'abc'|reverse }}
{{ ['b', 'A', 'a', 'B']|sort }}|{{ ['b', 'A', 'a', 'B']|sort(case_sensitive=true) }}|{{ ['b', 'A', 'a', 'B']|unique|list }}|{{ ['B', 'b']|max }}
{{ people|map(attribute='name')|list }}|{{ people|map(attribute='zz', default='?')|list }}|{{ ['a', 'b']|map('upper')|list }}|{{ people|map(attribute='age')|sum }}
{{ people|selectattr('age', 'gt', 30)|list }}|{{ people|rejectattr('age', 'gt', 30)|map(attribute='name')|list }}|{{ people|selectattr('admin')|list|length }}
{{ [1, 2, 3, 4]|select('odd')|list }}|{{ [1, 2, 3, 4]|reject('even')|list }}|{{ [0, 1, '', 'a']|select|list }}|{{ people|selectattr('name', 'equalto', 'Bob')|list }}
{{ people|map(attribute='name')|tojson }}
{{ l|map('string')|join }}|{{ people|sort(attribute='age')|map(attribute='name')|join(',') }}|{{ people|sort(attribute='name', reverse=true)|map(attribute='name')|join(',') }}
{{ d|dictsort }}|{{ d|dictsort(reverse=true) }}|{{ d|dictsort(by='value') }}|{{ d|items|list }}|{{ undefined_x|items|list }}
{{ 3.7|round }}|{{ 2.5|round }}|{{ 3.14159|round(2) }}|{{ 3.14159|round(2, 'floor') }}|{{ 3.1|round(0, 'ceil') }}|{{ 5|round }}|{{ '42'|int }}|{{ '4.7'|int }}|{{ 'x'|int }}|{{ 'x'|int(7) }}|{{ 4.9|int }}|{{ '3.5'|float }}|{{ 3|float }}|{{ 'x'|float }}
{{ 'hello world foo'|wordcount }}|{{ 'abcdefghij'|truncate(5) }}|{{ 'hello world this is long text here'|truncate(15) }}|{{ 'hello world this is long'|truncate(10, true) }}|{{ 'hello'|center(11) }}|[{{ 'ab'|center(5) }}]
{{ 'a\nb\n\nc'|indent }}|{{ 'a\nb'|indent(2, true) }}|{{ 'a\n\nb'|indent(2, blank=true) }}|{{ 'x'|indent('> ', first=true) }}
{{ '%s and %s'|format('a', 'b') }}|{{ '%d%%'|format(50) }}|{{ '%05.1f|%-4s|%4d'|format(3.14159, 'ab', 7) }}|{{ 'v=%(v)s'|format(v=1) }}
{{ '%s-%s' % ('a', 'b') }}|{{ '%s' % 'x' }}|{{ '%r' % 'x' }}|{{ '%x' % 255 }}|{{ '%.2f' % 2.5 }}
{{ '{} {}'.format('a', 'b') }}|{{ '{0}{1}{0}'.format('a', 'b') }}|{{ '{x}!'.format(x=1) }}|{{ '{:>5}|{:<5}|{:^5}|{:05d}|{:.2f}|{:,}'.format('a', 'b', 'c', 42, 3.14159, 1234567) }}|{{ '{{}}{}'.format(1) }}
{{ '<b>'|e }}|{{ '<b>'|escape }}|{{ '<a href="x">&\''|e }}|{{ ('<b>'|safe) + '<i>' }}|{{ '<i>' + ('<b>'|safe) }}|{{ ('<b>'|safe) ~ '<i>' }}|{{ '<b>x</b> <!-- c -->y'|striptags }}
{{ s.upper() }}|{{ s.lower() }}|{{ s.split() }}|{{ s.split('o') }}|{{ s.split('o', 1) }}|{{ 'a,b,,c'.split(',') }}|{{ '  a  b  '.split() }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ ' a b '.split(None, 1) }}
{{ s.startswith('He') }}|{{ s.endswith(('x', 'ld')) }}|{{ s.find('o') }}|{{ s.rfind('o') }}|{{ s.find('z') }}|{{ s.count('o') }}|{{ s.replace('o', '0') }}|{{ s.replace('o', '0', 1) }}|{{ s.index('W') }}
{{ '  x '.strip() }}|{{ 'xyx'.strip('x') }}|{{ '\n\nx\n'.lstrip('\n') }}|{{ '\n\nx\n'.rstrip() }}|{{ 'a-b'.title() }}|{{ "they're".title() }}|{{ 'hello'.capitalize() }}|{{ 'AbC'.swapcase() }}
{{ 'a\nb\r\nc'.splitlines() }}|{{ ','.join(['a', 'b']) }}|{{ 'abc'.zfill(5) }}|{{ 'ab'.ljust(4, '.') }}|{{ 'ab'.rjust(4) }}|{{ '123'.isdigit() }}|{{ 'abc'.isalpha() }}|{{ 'a=b=c'.partition('=') }}|{{ 'prefix_x'.removeprefix('prefix_') }}
{{ l.index(2) }}|{{ l.count(1) }}|{{ (1, 2, 1).count(1) }}
{{ x is defined }}|{{ s is defined }}|{{ x is undefined }}|{{ none is none }}|{{ 1 is number }}|{{ 1.5 is float }}|{{ true is number }}|{{ true is integer }}|{{ 1 is integer }}|{{ true is boolean }}|{{ 1 is boolean }}
{{ 'a' is string }}|{{ d is mapping }}|{{ l is mapping }}|{{ l is sequence }}|{{ d is sequence }}|{{ 's' is sequence }}|{{ 1 is sequence }}|{{ l is iterable }}|{{ 1 is iterable }}|{{ none is iterable }}|{{ undefined_x is iterable }}|{{ undefined_x is sequence }}
{{ 4 is even }}|{{ 3 is odd }}|{{ 9 is divisibleby 3 }}|{{ 9 is divisibleby(4) }}|{{ 1 is eq 1 }}|{{ 1 is ne 2 }}|{{ 2 is gt 1 }}|{{ 2 is ge 2 }}|{{ 1 is lt 2 }}|{{ 1 is le 0 }}|{{ 2 is in [1, 2] }}
{{ true is true }}|{{ 1 is true }}|{{ false is false }}|{{ 0 is false }}|{{ 'abc' is lower }}|{{ 'ABC' is upper }}|{{ range is callable }}|{{ s is callable }}|{{ s.upper is callable }}|{{ none is not none }}|{{ not none is none }}
{{ undefined_x }}|{{ undefined_x|default('dflt') }}|{{ none|default('dflt') }}|{{ ''|default('dflt', true) }}|{{ undefined_x|d('d') }}|{{ undefined_x|length }}|{{ undefined_x|list }}|{{ undefined_x is not defined }}|{{ undefined_x == undefined_y }}|{{ undefined_x|string }}|{{ undefined_x|upper }}|{{ undefined_x|join }}|{{ 'a' in undefined_x }}
{{ undefined_x + 1 }}
{{ undefined_x.attr }}
{{ undefined_x['k'] }}
{{ undefined_x() }}
{{ undefined_x|tojson }}
{{ undefined_x > 1 }}
{{ d.missing.deeper }}
{{ none.attr }}
{{ none.split() }}
{{ none[0] }}
{{ none[0].x }}
{{ 'a' + none }}
{{ 'a' + 1 }}
{{ 1 + 'a' }}
{{ 'a' + {} }}
{{ [1] + (2,) }}
{{ 1 / 0 }}
{{ 1 // 0 }}
{{ 'a' < 1 }}
{{ 1 in 'abc' }}
{{ 'a' in none }}
{{ 'a' in 5 }}
{% for x in none %}{% endfor %}
{% for x in 5 %}{% endfor %}
{{ none|length }}
{{ 5|length }}
{{ l.append(1) }}
{{ l.pop() }}
{{ d.update({}) }}
{{ d.pop('a') }}
{{ l.sort() }}
[{{ l.append }}]|{{ l.append is defined }}
{{ s.__class__ }}
{{ range(200000)|length }}
{{ raise_exception('boom: ' ~ s) }}
{{ l|map(attribute='x')|tojson }}
{{ people|selectattr('age')|tojson }}
{{ d|items|tojson }}
{{ 'abc'|map('upper')|join }}|{{ [1,2]|map('string')|list|tojson }}
{{ l|unique|tojson }}
{{ l|reverse|tojson }}
{{ l|map(attribute='x')|length }}
{{ d.items()|tojson }}
{{ d.items() }}|{{ d.keys()|join(',') }}|{{ d.items()|length }}|{{ d.values()|list }}|{{ d.items()|first }}|{{ 'a' in d.keys() }}
{{ namespace()|tojson }}
{% set x = 1 %}{% set x.y = 2 %}
{% for a, b in [1, 2] %}{% endfor %}
{% for a, b in [(1, 2, 3)] %}{% endfor %}
{{ m() }}{% macro m() %}x{% endmacro %}
{{ 'x'|nosuchfilter }}
{% if false %}{{ 'x'|nosuchfilter }}{% endif %}ok
{% if true %}{{ 'x'|nosuchfilter }}{% endif %}
{{ 1 is nosuchtest }}
{{ foo( }}
{% if %}{% endif %}
{% for x in l %}
{% endif %}
{% endfor %}
{{ 'unterminated }}
{% break %}
{% unknowntag %}
{{ 1 + }}
{% set %}
{{ strftime_now('%d %b %Y|%Y-%m-%d|%B %d, %Y|%A|%a|%H:%M:%S|%j|%y|%p|%I|%e|%-d|%U|%W|%c|%x|%X|%%') }}
{% generation %}gen {{ s }}{% endgeneration %}
{% raw %}{{ not evaluated }}{% endraw %}
{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}
{{ dict(a=1, b=2) }}|{{ dict({'x': 1}, y=2) }}|{{ dict([('k', 'v')]) }}
{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }}|{% set j = joiner('|') %}{% for x in l %}{{ j() }}{{ x }}{% endfor %}
{% for x in l %}{{ loop.cycle('o', 'e') }}{% endfor %}|{% for x in [1,1,2] %}{{ loop.changed(x) }}{% endfor %}
{{ l|batch(2)|list }}|{{ l|batch(2, 'f')|list }}|{{ [1,2,3]|batch(2)|map('length')|list }}
{{ "a" "b" 'c' }}|{{ 1_000 }}|{{ 1.5e3 }}|{{ .5 if false else 'dot' }}
{{ l[1.5] }}
{{ s[1:none] }}|{{ s[none:2] }}
{{ l[::0] }}
{{ {'a': 1}.a }}|{{ {'items': 1}.items is callable }}|{{ {'items': 1}['items'] }}|{{ {'keys': 5}.keys() }}
{{ messages[0].content }}|{{ messages|selectattr('role', 'equalto', 'user')|list|length }}|{{ messages[-1]['role'] }}
{{ 'ab' * -1 }}|{{ [1] * 0 }}
{{ 5 % 0 }}
{{ '%s' % none }}|{{ '%s %s' % (1, 2) }}
{{ '%d' % 'x' }}
{{ '%s %s' % ('a',) }}
{{ l|selectattr|list }}
{{ 1|abs }}|{{ -1.5|abs }}|{{ -3|abs }}
{{ '%.3e'|format(12345.678) }}|{{ '{:e}'.format(12345.678) }}|{{ '{:g}'.format(0.0001) }}|{{ '{}'.format(1.0) }}|{{ '{:.3}'.format(3.14159) }}|{{ '{!r}'.format('x') }}|{{ '{0[a]}'.format({'a': 1}) }}
{{ 'ab'.center(7, '*') }}|{{ 'abc'.center(6) }}|{{ 'abc'.center(8) }}|{{ 'ab'.center(5) }}
{% set x = 5 %}{% for i in range(2) %}{% if true %}{% set x = x + i %}{% endif %}{{ x }};{% endfor %}{{ x }}|{% for i in range(2) %}{% endfor %}{{ i }}
{% for i in range(2) %}{% set inner = i %}{% endfor %}[{{ inner }}]|{% macro m() %}{% set leak = 1 %}{% endmacro %}{{ m() }}[{{ leak }}]
{% for i in [1] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}|{% set i = 'outer' %}{% macro m2() %}{{ i }}{% endmacro %}{% for i in [1] %}{{ m2() }}{% endfor %}
{% for a in [1, 2] %}{% for b in [3] %}{{ loop.index }}{{ loop.length }}{% endfor %}{{ loop.index }}{% endfor %}|{{ loop.index }}|{{ loop is defined }}
{% for c in 'ab' %}{{ c }}{{ loop.length }}{% endfor %}|{% for x in l if x != 1 %}{{ loop.length }}{{ loop.previtem }}{% endfor %}
{{ (' <b> '|safe)|length }}|{{ ('<b>'|safe).upper() }}|{{ ('<b>'|safe|escape) }}|{{ ('&'|e) + '&' }}|{{ '&'|e|e }}|{{ ('<'|safe) ~ '<' }}|{{ (('a'|safe) + 'b') is string }}
{{ ('<b>'|safe).replace('b', '<i>') }}|{{ ('<b>'|safe) * 2 }}|{{ '%s'|safe % '<' }}|{{ ('<{}>'|safe).format('<') }}|{{ ', '.join(['<', 'b'|safe]) }}
{{ undefined_x|first }}|{{ undefined_x|items|list }}|{{ undefined_x|trim }}|{{ undefined_x|int }}|{{ undefined_x|lower }}|{{ undefined_x|sort }}|{{ undefined_x|select|list }}|{{ undefined_x|map('upper')|list }}|{{ undefined_x|unique|list }}
{{ undefined_x|round }}
{{ undefined_x|abs }}
{{ undefined_x|dictsort }}
{{ -undefined_x }}
{{ undefined_x * 2 }}
{{ undefined_x ~ 'a' }}|{{ undefined_x is none }}|{{ undefined_x == none }}|{{ undefined_x in [none] }}|{{ [undefined_x] }}|{{ undefined_x|string|length }}
{{ 1/3 }}|{{ 2/3 }}|{{ 1e100 }}|{{ 123456789012345678.0 }}|{{ 0.000123 }}|{{ 1.23e-7 }}|{{ 1e15 }}|{{ 9999999999999998.0 }}|{{ 0.1 * 3 }}|{{ 100.0 / 3 }}|{{ 5e-324 }}|{{ 1.7976931348623157e308 }}
{{ {1: 'a', 2.5: [1, (2, 3)]} }}|{{ [(1, 'a')] }}|{{ ((1,),) }}|{{ () }}|{{ [] }}|{{ {} }}|{{ {'a': none, 'b': true} }}
{{ none|tojson }}|{{ 'x'|tojson(indent=2) }}|{{ {'a': [], 'b': {}, 'c': [1]}|tojson(indent=2) }}|{{ [[]]|tojson(indent=1) }}|{{ 1.0|tojson }}|{{ (1, 2)|tojson }}|{{ ('<b>'|safe)|tojson }}
{{ d|list }}|{{ d|length }}|{{ d|first }}|{{ 'abc'|list }}|{{ 'abc'|first }}|{{ 'abc'|last }}|{{ d|last }}|{{ d|sort }}|{{ d|min }}|{{ d|join(',') }}
{% for k, v in d|dictsort %}{{ k }}{{ v }}{% endfor %}|{% for k, v in d|items %}{{ k }}{{ v }}{% endfor %}|{% for item in d.items() %}{{ item[0] }}{{ item.1 }}{% endfor %}
{% if not x is defined %}a{% endif %}|{% if x is not defined or x %}b{% endif %}|{% if not none %}c{% endif %}|{{ not x is defined }}|{{ (not x) is defined }}
{% macro m(a, b=1) %}{{ a }}{{ b }}{% endmacro %}{{ m(**{'a': 5}) }}|{{ m(*[7, 8]) }}|{{ dict(**d) }}|{{ m(a=1, **{'b': 2}) }}
{{ "}}" }}|{{ '{{' }}|{{ "{% raw %}" }}|{ {x} }|}}|{% if '%}' %}ok{% endif %}
   text {% if true %}x{% endif %}|
 {{ 'a' }}
	{% if true %}tab{% endif %}
{%- raw -%}   {{ x }}   {%- endraw -%}   after
{% for m in messages %}{{ m }}{% endfor %}|{{ messages[1:] }}
{{ l.0 }}|{{ l.1 }}|{{ messages.0.role }}|{{ d['a'] is defined }}|{{ d.zz is defined }}|{{ d.zz is none }}|{{ messages[2].content is none }}|{{ messages[2].content is defined }}
{{ 'a' is sameas 'a' }}|{{ none is sameas none }}|{{ l is sameas l }}|{{ 'bc' is in 'abc' }}|{{ 1 is eq(1) }}|{{ 'X' is upper }}|{{ 2 is divisibleby 2 and true }}
{{ x if x is defined else 'dflt' }}|{{ 'a' if true else 'b' if true else 'c' }}|{{ ('a' if false else 'b') ~ 'c' }}|{{ [1, 2]|join(',' if true else ';') }}|{{ l|map('string')|join('+' if l else '-') }}
{{ s.split(' ')[0] }}|{{ s.split()[-1][::-1] }}|{{ s|replace('o', '')|length }}|{{ (s ~ '!')|upper }}|{{ s[:5]|lower ~ s[5:] }}
{{ 'ß'|upper }}|{{ 'İ'|lower|length }}|{{ 'ǅ'|title }}|{{ 'straße'.upper() }}
{{ 'a' * 3 if true }}|{{ -l[0] }}|{{ not l[0] }}|{{ -(1 + 2) }}|{{ +3 }}|{{ - - 2 }}|{{ 2 - -2 }}|{{ 3 - 1 - 1 }}|{{ 2 ** 2 ** 3 }}|{{ 7 // 2 * 2 }}|{{ 7 % 4 % 2 }}
{{ 0.5 == 0.5 }}|{{ 1 == true }}|{{ 0 == false }}|{{ 'a' == 'a'|safe }}|{{ [1, 2] == [1, 2] }}|{{ (1, 2) == [1, 2] }}|{{ {'a': 1} == {'a': 1} }}|{{ 1 < 1.5 }}|{{ true < 2 }}|{{ 'B' < 'a' }}|{{ [] < [1] }}
{{ 1.5 // 1 }}|{{ -1.5 // 1 }}|{{ 5.5 % 2 }}|{{ -5.5 % 2 }}|{{ 2 ** 0.5 }}|{{ 4 ** -1 }}|{{ 10 / 4 }}|{{ true / 2 }}|{{ 3 * true }}|{{ 1e3|int }}|{{ '1e3'|int }}|{{ ' 12 '|int }}|{{ '0x1A'|int(0, 16) }}|{{ '12abc'|int }}
{{ '{:d}'.format(5) }}|{{ '{:5.1f}|'.format(2.25) }}|{{ '{:+d}'.format(5) }}|{{ '{:x}'.format(255) }}|{{ '{:08.3f}'.format(-3.14159) }}|{{ '{:%}'.format(0.25) }}|{{ '{:>8}'.format('ab') }}|{{ '{:*^9}'.format('ab') }}
{{ '%5s|%-5s|%05d|%.1f|%+d|%i|%%|%c' % ('a', 'b', 42, 2.25, 5, 3.9, 65) }}
{{ '%s %s' % [1, 2] }}
{{ s|truncate(3) }}|{{ 'a b c d e f g h i j k l'|truncate(12) }}|{{ 'abc'|truncate(3, end='') }}|{{ 'hello world'|truncate(8, leeway=0) }}
{{ 'a  b\n c'|wordcount }}|{{ '<p>Hi &amp; bye</p>\n<br/>  x'|striptags }}|{{ 'a'|center(4) }}|{{ 'abc'|center(2) }}|{{ l|sum(start=10) }}|{{ people|sum(attribute='age') }}|{{ [1.5, 2]|sum }}
{{ people|max(attribute='age') }}|{{ people|min(attribute='name') }}|{{ []|max }}|{{ ['a', 'B', 'c']|max }}|{{ ['a', 'B', 'c']|max(case_sensitive=true) }}|{{ [3, 1]|min }}
{{ '{:.1f}|{:.2f}|{:.0f}|{:.0f}|{:.3e}|{:g}|{:g}|{:g}|{:.2g}|{:,.2f}|{:.1%}|{:e}'.format(0.05, 1.005, 0.5, 1.5, 0.00012345, 1234567.0, 0.00001, 100.0, 123.0, 1234567.891, 0.1234, 0.0) }}|{{ '%.0f %.2e %g %G %.3g' % (2.5, 1e-10, 1e20, 1e-20, 3.14159) }}
{{ '{:10.3f}|{:<10.2e}|{:+.1f}|{: .1f}|{:.15g}|{:.17g}'.format(3.14159, 31415.9, 2.25, 2.35, 0.1, 0.1) }}
{{ people|unique(attribute='age')|list|length }}|{{ ['a', 'A', 'b']|unique(case_sensitive=true)|list }}|{{ [1, 1.0, true]|unique|list }}
{{ l|batch(5, 0)|list }}|{{ []|batch(2)|list }}|{{ people|map(attribute='name')|map('lower')|join }}|{{ people|selectattr('admin', 'defined')|map(attribute='name')|list }}|{{ people|rejectattr('admin')|map(attribute='name')|list }}
{{ people|selectattr('admin', 'true')|list|length }}|{{ people|selectattr('name', 'in', ['Bob', 'Carol'])|map(attribute='age')|list }}|{{ people|selectattr('age', '>', 26)|list|length }}|{{ l|select('>', 1)|list }}|{{ l|select('in', [1, 3])|list }}
{{ nested|dictsort }}|{{ {'b': 1, 'A': 2, 'a': 0}|dictsort }}|{{ {'b': 1, 'A': 2, 'a': 0}|dictsort(true) }}|{{ {'x': 2, 'y': 1}|dictsort(false, 'value') }}
{{ people[0]|dictsort|map('first')|join(',') }}|{{ people[0].items()|map('last')|list }}|{{ [[1, 2], [3]]|map('length')|list }}|{{ ['1', '2']|map('int')|sum }}|{{ ['a']|map('replace', 'a', 'b')|list }}
{{ 3|string ~ 'x' }}|{{ (3|string) * 2 }}|{{ 3.0|int }}|{{ -3.7|int }}|{{ true|int }}|{{ none|int }}|{{ '3'|float + 1 }}|{{ 1|float }}|{{ true|string }}|{{ [1]|string }}|{{ none|lower }}
{{ range(3)|reverse|list }}|{{ range(10)[2:5]|list }}|{{ range(10)[-1] }}|{{ range(3)|length }}|{{ range(3)|sum }}|{{ 2 in range(3) }}|{{ range(0) is sequence }}|{{ range(5)|tojson }}
{{ l|tojson(indent=none) }}|{{ d|tojson(4) }}
{{ d|tojson(false, 2) }}|{{ d|tojson(true, none, none, true) }}
{{ d|tojson(foo=1) }}
{{ s.split('') }}
{{ s.nosuchmethod() }}
{{ s.nosuchattr }}|{{ l.nosuch }}|{{ 1.5.real }}|{{ (5).nosuch }}
{{ 5() }}
{{ 'abc'[1.0] }}
{{ l|join(1) }}|{{ ['a', 1]|join }}
{{ ','.join(['a', 1]) }}
{{ s.startswith(1) }}
{{ 'x'.replace('x') }}
{{ "a{}b".format() }}
{{ namespace(a=1).a }}|{% set ns = namespace() %}{% set ns.list = [1] %}{{ ns.list + [2] }}|{% set ns.d = {} %}{{ ns.d }}|{{ ns.missing is defined }}
{% set ns = namespace(a=1) %}{% for i in range(3) %}{% set ns.a = ns.a * 2 %}{% endfor %}{% macro show() %}{{ ns.a }}{% endmacro %}{{ show() }}
{% set l2 = l %}{% set l = l + [9] %}{{ l2 }}{{ l }}
{{ messages|selectattr('role', 'equalto', 'user')|first }}|{{ (messages|selectattr('role', 'eq', 'system')|list)[0].content }}|{{ messages|map(attribute='role')|unique|list }}
{{ messages[2].tool_calls[0].function.arguments|tojson }}|{{ messages[2].tool_calls[0].function.arguments.items()|list }}|{% for k, v in messages[2].tool_calls[0].function.arguments|items %}{{ k }}={{ v }}{% endfor %}
{%- if true -%}
  trimmed
{%- endif -%}
|
  {% if true %}
  lstripped
  {% endif %}
|
{% if true %}  {{ 'x' }}  {% endif %}
{# comment #}
after comment
  {# indented comment #}
x {#- strip left #} y {#- x -#}   z
{{- ' strip both ' -}}
  {%+ if true %}kept indent{% endif %}
{% if true +%}
kept newline{% endif %}
line1
{% set x = 1 -%}
   line2
a  {{- 'b' }}  {{ 'c' -}}  d
{% for i in range(2) %}
  item {{ i }}
{% endfor %}
done
tab	{%- if true %}X{% endif %}
'''
snippets = []
cur = []
# snippets separated by lines; multi-line ones are joined from "{%- if true -%}" until the end marker
lines = S.strip('\n').split('\n')
multi_start = lines.index('{%- if true -%}')
for line in lines[:multi_start]:
    snippets.append(line)
snippets.append('\n'.join(lines[multi_start:]))
snippets.append('\n'.join(lines[multi_start:]) + '\n')
snippets.append('{% for x in l %}\n    {{ x }}\n{% endfor %}\n')
snippets.append('a\n{% if true %}\n  b\n{% endif %}\n\n')
snippets.append('  {%- if true %}x{% endif %}')
snippets.append('{% if true %}\r\nwin\r\n{% endif %}\r\n')
snippets.append('{{ messages|tojson(indent=2) }}')
json.dump(snippets, open('snippets.json', 'w'), ensure_ascii=False)
print(len(snippets))
