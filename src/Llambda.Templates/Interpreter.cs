using System.Text;

namespace Llambda.Templates;

/// <summary>
/// Variables visible at one point of a template. Jinja2 gives each for-loop iteration, macro call and captured
/// block its own scope: a <c>{% set %}</c> there does not leak out (hence the <c>namespace()</c> idiom).
/// </summary>
internal sealed class Scope(Scope? parent)
{
    // Most scopes (a loop iteration: the target and "loop") hold a handful of names, so they live in small arrays
    // searched linearly; a scope that grows past SmallSize (the root, with many variables) switches to a dictionary.
    private const int SmallSize = 8;

    private string[]? _names;
    private object?[]? _values;
    private int _count;
    private Dictionary<string, object?>? _map;

    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (Scope? s = this; s != null; s = s.Parent)
        {
            if (s.TryGetLocal(name, out value)) return true;
        }
        value = null;
        return false;
    }

    private bool TryGetLocal(string name, out object? value)
    {
        if (_map != null) return _map.TryGetValue(name, out value);
        for (int i = 0; i < _count; i++)
        {
            if ((object)_names![i] == name || _names[i] == name)
            {
                value = _values![i];
                return true;
            }
        }
        value = null;
        return false;
    }

    public void Set(string name, object? value)
    {
        if (_map != null)
        {
            _map[name] = value;
            return;
        }
        for (int i = 0; i < _count; i++)
        {
            if (_names![i] == name)
            {
                _values![i] = value;
                return;
            }
        }
        if (_count == SmallSize)
        {
            _map = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (int i = 0; i < _count; i++) _map[_names![i]] = _values![i];
            _map[name] = value;
            return;
        }
        _names ??= new string[SmallSize];
        _values ??= new object?[SmallSize];
        _names[_count] = name;
        _values[_count++] = value;
    }
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items, int depth0, Func<object?, string>? recurse)
{
    public int Index0 { get; set; }

    public int Length => items.Count;

    public int Depth0 { get; } = depth0;

    public object? GetAttribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(Length - Index0),
        "revindex0" => (long)(Length - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == Length - 1,
        "length" => (long)Length,
        "depth" => (long)Depth0 + 1,
        "depth0" => (long)Depth0,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : Undefined.WithHint("there is no previous item"),
        "nextitem" => Index0 + 1 < Length ? items[Index0 + 1] : Undefined.WithHint("there is no next item"),
        "cycle" => new BuiltinFunction("cycle", (_, args) =>
            args.Count == 0
                ? throw new TemplateException("no items for cycling given", TemplateErrorKind.Runtime)
                : args.Positional[Index0 % args.Count]),
        "changed" => new BuiltinFunction("changed", (_, args) =>
        {
            var current = args.Positional.ToArray();
            bool changed = _lastChanged == null || !Py.Equal(_lastChanged, current);
            _lastChanged = current;
            return changed;
        }),
        _ => Undefined.Attribute(this, name),
    };

    private object?[]? _lastChanged;

    /// <summary><c>loop(children)</c> in a <c>recursive</c> loop renders the body again one level deeper.</summary>
    public object? Call(object? iterable) =>
        recurse != null ? recurse(iterable) : throw new TemplateException("loop is not recursive; add 'recursive' to the for tag", TemplateErrorKind.Type);
}

/// <summary>A <c>{% macro %}</c>, closed over the scope it was defined in.</summary>
internal sealed class Macro(MacroStmt definition, Scope closure, string name, IReadOnlyList<MacroParameter>? parameters = null, List<Stmt>? body = null) : Callable
{
    public override string Name { get; } = name;

    public MacroStmt Definition { get; } = definition;

    public IReadOnlyList<MacroParameter> Parameters { get; } = parameters ?? definition.Parameters;

    public List<Stmt> Body { get; } = body ?? definition.Body;

    public Scope Closure { get; } = closure;

    /// <summary>For <c>{% call %}</c> blocks, the caller's body accepts anything (like Jinja2's caller macros).</summary>
    public bool IsCaller { get; init; }

    public override object? Invoke(Interpreter interpreter, Arguments args) => interpreter.CallMacro(this, args);
}

/// <summary>Signals out of a loop body.</summary>
internal enum Flow { Normal, Break, Continue }

/// <summary>
/// Walks the syntax tree and renders. Counts steps, output size and macro depth so that any template —
/// including a hostile one — finishes quickly with a result or a <see cref="TemplateException"/>.
/// </summary>
internal sealed class Interpreter
{
    private readonly SourceMap _map;
    private readonly Scope _globals;
    private StringBuilder _out = new();
    private long _steps;
    private int _depth;
    private int _position;

    public Interpreter(JinjaOptions options, SourceMap map)
    {
        Options = options;
        _map = map;
        _globals = Builtins.CreateGlobals();
    }

    public JinjaOptions Options { get; }

    public int MaxLength => Options.MaxOutputChars;

    public string Render(List<Stmt> body, IReadOnlyDictionary<string, object?> variables)
    {
        var root = new Scope(_globals);
        foreach (var kv in variables) root.Set(kv.Key, ValueConverter.FromClr(kv.Value));
        try
        {
            Exec(body, root);
        }
        catch (TemplateException ex)
        {
            var (line, column) = _map.Locate(_position);
            throw ex.WithPosition(line, column);
        }
        catch (InsufficientExecutionStackException)
        {
            var (line, column) = _map.Locate(_position);
            throw new TemplateException("template nests too deeply", TemplateErrorKind.Limit, line, column);
        }
        return _out.ToString();
    }

    // ---------------------------------------------------------------- limits

    public void Step()
    {
        if (++_steps > Options.MaxSteps)
            throw new TemplateException($"template exceeded the limit of {Options.MaxSteps} evaluation steps (infinite or very long loop?)", TemplateErrorKind.Limit);
    }

    private void Write(string text)
    {
        if (_out.Length + (long)text.Length > Options.MaxOutputChars)
            throw new TemplateException($"template output exceeded the limit of {Options.MaxOutputChars} characters", TemplateErrorKind.Limit);
        _out.Append(text);
    }

    /// <summary>Renders <paramref name="body"/> into a fresh buffer and returns the text (set blocks, filter blocks, macros).</summary>
    private string Capture(List<Stmt> body, Scope scope)
    {
        var saved = _out;
        _out = new StringBuilder();
        try
        {
            Exec(body, scope);
            return _out.ToString();
        }
        finally
        {
            _out = saved;
        }
    }

    // ---------------------------------------------------------------- statements

    private Flow Exec(List<Stmt> body, Scope scope)
    {
        foreach (Stmt stmt in body)
        {
            Step();
            _position = stmt.Position;
            switch (stmt)
            {
                case TextStmt text:
                    Write(text.Text);
                    break;
                case PrintStmt print:
                    Write(Py.Str(Eval(print.Value, scope)));
                    break;
                case IfStmt ifStmt:
                {
                    var flow = Exec(Py.Truthy(Eval(ifStmt.Test, scope)) ? ifStmt.Body : ifStmt.Else, scope);
                    if (flow != Flow.Normal) return flow;
                    break;
                }
                case ForStmt forStmt:
                    ExecFor(forStmt, Eval(forStmt.Iter, scope), scope, 0);
                    break;
                case SetStmt set:
                    Assign(set.Target, Eval(set.Value, scope), scope);
                    break;
                case SetBlockStmt setBlock:
                {
                    object? value = Capture(setBlock.Body, new Scope(scope));
                    if (setBlock.Filter != null) value = ApplyFilterChain(setBlock.Filter, value, scope);
                    Assign(setBlock.Target, value, scope);
                    break;
                }
                case MacroStmt macro:
                    scope.Set(macro.Name, new Macro(macro, scope, macro.Name));
                    break;
                case CallBlockStmt callBlock:
                    Write(Py.Str(ExecCallBlock(callBlock, scope)));
                    break;
                case FilterBlockStmt filterBlock:
                {
                    string text = Capture(filterBlock.Body, new Scope(scope));
                    Write(Py.Str(ApplyFilterChain(filterBlock.Filter, text, scope)));
                    break;
                }
                case WithStmt with:
                {
                    var inner = new Scope(scope);
                    foreach (var (target, value) in with.Assignments) Assign(target, Eval(value, scope), inner);
                    var flow = Exec(with.Body, inner);
                    if (flow != Flow.Normal) return flow;
                    break;
                }
                case BlockStmt block:
                {
                    var flow = Exec(block.Body, scope);
                    if (flow != Flow.Normal) return flow;
                    break;
                }
                case BreakStmt:
                    return Flow.Break;
                case ContinueStmt:
                    return Flow.Continue;
                default:
                    throw new InvalidOperationException("unknown statement " + stmt.GetType().Name);
            }
        }
        return Flow.Normal;
    }

    private void ExecFor(ForStmt loop, object? iterable, Scope scope, int depth)
    {
        IReadOnlyList<object?> items = Sequence(iterable);
        if (loop.Filter != null)
        {
            // "for x in xs if cond": filter first, so loop.index/length/last count only the kept items.
            var kept = new List<object?>();
            foreach (object? item in items)
            {
                Step();
                var test = new Scope(scope);
                Assign(loop.Target, item, test);
                if (Py.Truthy(Eval(loop.Filter, test))) kept.Add(item);
            }
            items = kept;
        }

        if (items.Count == 0)
        {
            Exec(loop.Else, scope);
            return;
        }

        Func<object?, string>? recurse = null;
        if (loop.Recursive)
        {
            recurse = children =>
            {
                var saved = _out;
                _out = new StringBuilder();
                try
                {
                    ExecFor(loop, children, scope, depth + 1);
                    return _out.ToString();
                }
                finally
                {
                    _out = saved;
                }
            };
        }
        var context = new LoopContext(items, depth, recurse);
        for (int i = 0; i < items.Count; i++)
        {
            Step();
            context.Index0 = i;
            var iteration = new Scope(scope);
            Assign(loop.Target, items[i], iteration);
            iteration.Set("loop", context);
            if (Exec(loop.Body, iteration) == Flow.Break) break;
        }
    }

    /// <summary>An indexable view of anything iterable; ranges stay lazy, other iterables are materialized (step-counted).</summary>
    public IReadOnlyList<object?> Sequence(object? iterable)
    {
        switch (iterable)
        {
            case List<object?> list: return list;
            case object?[] tuple: return tuple;
            case PyRange range: return new RangeView(range);
        }
        var items = new List<object?>();
        foreach (object? item in Py.Iterate(iterable))
        {
            Step();
            items.Add(item);
        }
        return items;
    }

    private sealed class RangeView(PyRange range) : IReadOnlyList<object?>
    {
        public int Count { get; } = range.Count > int.MaxValue ? int.MaxValue : (int)range.Count;

        public object? this[int index] => range[index];

        public IEnumerator<object?> GetEnumerator() => range.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private void Assign(Target target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                break;
            case AttributeTarget attribute:
                if (!scope.TryGet(attribute.ObjectName, out object? obj) || obj is not Namespace ns)
                    throw new TemplateException("cannot assign attribute on non-namespace object", TemplateErrorKind.Runtime);
                ns.Attributes.Set(attribute.Attribute, value);
                break;
            case TupleTarget tuple:
            {
                var items = Py.Iterate(value).Take(tuple.Items.Count + 1).ToList();
                if (items.Count < tuple.Items.Count)
                    throw new TemplateException($"not enough values to unpack (expected {tuple.Items.Count}, got {items.Count})", TemplateErrorKind.Type);
                if (items.Count > tuple.Items.Count)
                    throw new TemplateException($"too many values to unpack (expected {tuple.Items.Count})", TemplateErrorKind.Type);
                for (int i = 0; i < items.Count; i++) Assign(tuple.Items[i], items[i], scope);
                break;
            }
        }
    }

    private object? ExecCallBlock(CallBlockStmt callBlock, Scope scope)
    {
        var caller = new Macro(new MacroStmt(callBlock.Position, "caller", callBlock.Parameters, callBlock.Body), scope, "caller") { IsCaller = true };
        object? callee = Eval(callBlock.Call.Callee, scope);
        Arguments args = EvalArguments(callBlock.Call.Args, scope);
        args.Keywords.Add(new KeyValuePair<string, object?>("caller", caller));
        _position = callBlock.Position;
        return Call(callee, args);
    }

    public object? CallMacro(Macro macro, Arguments args)
    {
        if (_depth >= Options.MaxRecursionDepth)
            throw new TemplateException($"macro '{macro.Name}' nests deeper than the limit of {Options.MaxRecursionDepth} calls (runaway recursion?)", TemplateErrorKind.Limit);
        // Whatever the configured depth, never let deep recursion overflow the real stack (that would kill the process).
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        Step();
        MacroStmt def = macro.Definition;
        var scope = new Scope(macro.Closure);
        var parameters = macro.Parameters;
        var bound = new bool[parameters.Count];
        var varargs = new List<object?>();
        for (int i = 0; i < args.Positional.Count; i++)
        {
            if (i < parameters.Count)
            {
                scope.Set(parameters[i].Name, args.Positional[i]);
                bound[i] = true;
            }
            else if (def.UsesVarargs || macro.IsCaller)
            {
                varargs.Add(args.Positional[i]);
            }
            else
            {
                throw new TemplateException($"macro '{macro.Name}' takes not more than {parameters.Count} argument(s)", TemplateErrorKind.Type);
            }
        }
        var kwargs = new PyDict();
        foreach (var (key, value) in args.Keywords)
        {
            int index = -1;
            for (int i = 0; i < parameters.Count; i++)
            {
                if (parameters[i].Name == key) index = i;
            }
            if (index >= 0)
            {
                if (bound[index]) throw new TemplateException($"macro '{macro.Name}' got multiple values for argument '{key}'", TemplateErrorKind.Type);
                scope.Set(key, value);
                bound[index] = true;
            }
            else if (key == "caller" && (def.UsesCaller || macro.IsCaller))
            {
                scope.Set("caller", value);
            }
            else if (def.UsesKwargs || macro.IsCaller)
            {
                kwargs.Set(key, value);
            }
            else
            {
                throw new TemplateException($"macro '{macro.Name}' takes no keyword argument '{key}'", TemplateErrorKind.Type);
            }
        }
        _depth++;
        int savedPosition = _position;
        try
        {
            // Defaults are evaluated per call, inside the macro scope, so they may refer to earlier parameters.
            for (int i = 0; i < parameters.Count; i++)
            {
                if (bound[i]) continue;
                scope.Set(parameters[i].Name, parameters[i].Default != null
                    ? Eval(parameters[i].Default!, scope)
                    : Undefined.WithHint($"parameter '{parameters[i].Name}' was not provided"));
            }
            scope.Set("varargs", varargs.ToArray()); // a tuple in Jinja2
            scope.Set("kwargs", kwargs);
            string result = Capture(macro.Body, scope);
            _position = savedPosition;
            return result;
        }
        finally
        {
            _depth--;
        }
    }

    // ---------------------------------------------------------------- expressions

    public object? Eval(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case ConstExpr c:
                return c.Value;
            case NameExpr name:
                return scope.TryGet(name.Name, out object? found) ? found : Undefined.Missing(name.Name);
            case GetAttrExpr attr:
            {
                object? obj = Eval(attr.Object, scope);
                _position = attr.Position;
                return Methods.GetAttribute(obj, attr.Name);
            }
            case GetItemExpr item:
            {
                object? obj = Eval(item.Object, scope);
                object? key = Eval(item.Key, scope);
                _position = item.Position;
                return Methods.GetItem(obj, key);
            }
            case SliceExpr slice:
                return EvalSlice(slice, scope);
            case CallExpr call:
            {
                object? callee = Eval(call.Callee, scope);
                Arguments args = EvalArguments(call.Args, scope);
                _position = call.Position;
                return Call(callee, args);
            }
            case FilterExpr filter:
            {
                object? input = filter.Value == null ? null : Eval(filter.Value, scope);
                return ApplyFilter(filter, input, scope);
            }
            case TestExpr test:
            {
                object? input = Eval(test.Value, scope);
                Arguments args = EvalArguments(test.Args, scope);
                _position = test.Position;
                return Tests.Apply(this, test.Name, input, args) != test.Negated;
            }
            case UnaryExpr unary:
            {
                object? operand = Eval(unary.Operand, scope);
                _position = unary.Position;
                return unary.Op switch
                {
                    UnaryOp.Not => !Py.Truthy(operand),
                    UnaryOp.Negate => Py.Negate(operand),
                    _ => Py.Plus(operand),
                };
            }
            case BinaryExpr binary:
                return EvalBinary(binary, scope);
            case CompareExpr compare:
                return EvalCompare(compare, scope);
            case CondExpr cond:
                if (Py.Truthy(Eval(cond.Test, scope))) return Eval(cond.Then, scope);
                return cond.Else != null ? Eval(cond.Else, scope) : Undefined.WithHint("the inline if-expression evaluated to false and no else section was defined.");
            case ListExpr list:
            {
                var result = new List<object?>(list.Items.Count);
                foreach (Expr item in list.Items) result.Add(Eval(item, scope));
                return result;
            }
            case TupleExpr tuple:
            {
                var result = new object?[tuple.Items.Count];
                for (int i = 0; i < result.Length; i++) result[i] = Eval(tuple.Items[i], scope);
                return result;
            }
            case DictExpr dict:
            {
                var result = new PyDict(dict.Items.Count);
                foreach (var (key, value) in dict.Items)
                {
                    object? k = Eval(key, scope);
                    if (k is List<object?> or PyDict) throw new TemplateException($"unhashable type: '{Py.TypeName(k)}'", TemplateErrorKind.Type);
                    result.Set(k, Eval(value, scope));
                }
                return result;
            }
            default:
                throw new InvalidOperationException("unknown expression " + expr.GetType().Name);
        }
    }

    private object? EvalBinary(BinaryExpr binary, Scope scope)
    {
        object? left = Eval(binary.Left, scope);
        switch (binary.Op)
        {
            case BinaryOp.And:
                return Py.Truthy(left) ? Eval(binary.Right, scope) : left;
            case BinaryOp.Or:
                return Py.Truthy(left) ? left : Eval(binary.Right, scope);
        }
        object? right = Eval(binary.Right, scope);
        _position = binary.Position;
        switch (binary.Op)
        {
            case BinaryOp.Add: return Py.Add(left, right, MaxLength);
            case BinaryOp.Subtract: return Py.Subtract(left, right);
            case BinaryOp.Multiply: return Py.Multiply(left, right, MaxLength);
            case BinaryOp.Divide: return Py.Divide(left, right);
            case BinaryOp.FloorDivide: return Py.FloorDivide(left, right);
            case BinaryOp.Modulo: return Py.Modulo(left, right);
            case BinaryOp.Power: return Py.Power(left, right);
            default:
            {
                // "~" converts both sides with str(); an undefined side is "".
                string a = Py.Str(left), b = Py.Str(right);
                Py.CheckLength((long)a.Length + b.Length, MaxLength);
                return string.Concat(a, b);
            }
        }
    }

    private object? EvalCompare(CompareExpr compare, Scope scope)
    {
        object? left = Eval(compare.First, scope);
        foreach (var (op, operandExpr) in compare.Rest)
        {
            object? right = Eval(operandExpr, scope);
            _position = compare.Position;
            bool result = op switch
            {
                "==" => Py.Equal(left, right),
                "!=" => !Py.Equal(left, right),
                "<" => Py.Compare(left, right, op) < 0,
                "<=" => Py.Compare(left, right, op) <= 0,
                ">" => Py.Compare(left, right, op) > 0,
                ">=" => Py.Compare(left, right, op) >= 0,
                "in" => Py.Contains(right, left),
                _ => !Py.Contains(right, left),
            };
            if (!result) return false;
            left = right;
        }
        return true;
    }

    private object? EvalSlice(SliceExpr slice, Scope scope)
    {
        object? obj = Eval(slice.Object, scope);
        object? start = slice.Start == null ? null : Eval(slice.Start, scope);
        object? stop = slice.Stop == null ? null : Eval(slice.Stop, scope);
        object? step = slice.Step == null ? null : Eval(slice.Step, scope);
        _position = slice.Position;
        return Methods.Slice(obj, start, stop, step);
    }

    public Arguments EvalArguments(CallArguments args, Scope scope)
    {
        if (args.Positional.Count == 0 && args.Keywords.Count == 0 && args.StarArgs == null && args.StarKwargs == null)
            return new Arguments([], []);
        var positional = new List<object?>(args.Positional.Count);
        foreach (Expr e in args.Positional) positional.Add(Eval(e, scope));
        if (args.StarArgs != null) positional.AddRange(Py.Iterate(Eval(args.StarArgs, scope)));
        var keywords = new List<KeyValuePair<string, object?>>(args.Keywords.Count);
        foreach (var (name, e) in args.Keywords) keywords.Add(new KeyValuePair<string, object?>(name, Eval(e, scope)));
        if (args.StarKwargs != null)
        {
            if (Eval(args.StarKwargs, scope) is not PyDict extra) throw new TemplateException("argument after ** must be a mapping", TemplateErrorKind.Type);
            foreach (var kv in extra) keywords.Add(new KeyValuePair<string, object?>(Py.Str(kv.Key), kv.Value));
        }
        return new Arguments(positional, keywords);
    }

    public object? Call(object? callee, Arguments args)
    {
        switch (callee)
        {
            case Callable callable:
                return callable.Invoke(this, args);
            case LoopContext loop:
                return loop.Call(args.Get(0, "iterable"));
            case Undefined undefined:
                throw undefined.Error();
            default:
                throw new TemplateException($"'{Py.TypeName(callee)}' object is not callable", TemplateErrorKind.Type);
        }
    }

    private object? ApplyFilter(FilterExpr filter, object? input, Scope scope)
    {
        Arguments args = EvalArguments(filter.Args, scope);
        _position = filter.Position;
        return Filters.Apply(this, filter.Name, input, args);
    }

    /// <summary>Applies a filter chain whose innermost input is <paramref name="input"/> (filter and set blocks).</summary>
    private object? ApplyFilterChain(FilterExpr filter, object? input, Scope scope)
    {
        object? value = filter.Value is FilterExpr inner ? ApplyFilterChain(inner, input, scope) : input;
        return ApplyFilter(filter, value, scope);
    }
}
