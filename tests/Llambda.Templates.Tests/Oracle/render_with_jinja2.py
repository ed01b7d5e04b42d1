import json, sys, datetime
import jinja2, jinja2.sandbox, jinja2.ext
from jinja2.ext import Extension
from jinja2 import nodes

class AssistantTracker(Extension):
    tags = {"generation"}
    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)
    def _render(self, caller):
        return caller()

FIXED_NOW = datetime.datetime(2026, 1, 15, 0, 0, 0)
env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, jinja2.ext.loopcontrols])
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda f: FIXED_NOW.strftime(f)

VARS = json.load(open(sys.argv[2]))
out = []
for src in json.load(open(sys.argv[1])):
    try:
        r = {"template": src, "expected": env.from_string(src).render(**json.loads(json.dumps(VARS)))}
    except jinja2.exceptions.TemplateSyntaxError as e:
        r = {"template": src, "error": "Syntax", "message": str(e)}
    except jinja2.exceptions.UndefinedError as e:
        r = {"template": src, "error": "Undefined", "message": str(e)}
    except jinja2.sandbox.SecurityError as e:
        r = {"template": src, "error": "Security", "message": str(e)}
    except jinja2.exceptions.TemplateRuntimeError as e:
        r = {"template": src, "error": "Runtime", "message": str(e)}
    except jinja2.exceptions.TemplateError as e:
        r = {"template": src, "error": "Raised", "message": str(e)}
    except SyntaxError as e:
        r = {"template": src, "error": "Syntax", "message": str(e)}
    except ZeroDivisionError as e:
        r = {"template": src, "error": "ZeroDivision", "message": str(e)}
    except OverflowError as e:
        r = {"template": src, "error": "Limit", "message": str(e)}
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as e:
        r = {"template": src, "error": "Type", "message": type(e).__name__ + ": " + str(e)}
    except Exception as e:
        r = {"template": src, "error": "Other", "message": type(e).__name__ + ": " + str(e)}
    out.append(r)
json.dump(out, open(sys.argv[3], "w"), ensure_ascii=False, indent=1)
