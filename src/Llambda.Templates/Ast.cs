namespace Llambda.Templates;

// The syntax tree. Nodes are plain data; the Interpreter gives them meaning.
// Every node remembers its source offset so runtime errors can name a line and column.

internal abstract class Node(int position)
{
    public int Position { get; } = position;
}

// ---------------------------------------------------------------- statements

internal abstract class Stmt(int position) : Node(position);

/// <summary>Template data copied to the output as is.</summary>
internal sealed class TextStmt(int position, string text) : Stmt(position)
{
    public string Text { get; } = text;
}

/// <summary><c>{{ expr }}</c></summary>
internal sealed class PrintStmt(int position, Expr value) : Stmt(position)
{
    public Expr Value { get; } = value;
}

/// <summary><c>{% if %}...{% elif %}...{% else %}...{% endif %}</c>; elif chains are nested IfStmts in Else.</summary>
internal sealed class IfStmt(int position, Expr test, List<Stmt> body, List<Stmt> elseBody) : Stmt(position)
{
    public Expr Test { get; } = test;
    public List<Stmt> Body { get; } = body;
    public List<Stmt> Else { get; } = elseBody;
}

/// <summary><c>{% for target in iter if filter recursive %}...{% else %}...{% endfor %}</c></summary>
internal sealed class ForStmt(int position, Target target, Expr iter, Expr? filter, bool recursive, List<Stmt> body, List<Stmt> elseBody) : Stmt(position)
{
    public Target Target { get; } = target;
    public Expr Iter { get; } = iter;
    public Expr? Filter { get; } = filter;
    public bool Recursive { get; } = recursive;
    public List<Stmt> Body { get; } = body;
    public List<Stmt> Else { get; } = elseBody;
}

/// <summary><c>{% set target = value %}</c></summary>
internal sealed class SetStmt(int position, Target target, Expr value) : Stmt(position)
{
    public Target Target { get; } = target;
    public Expr Value { get; } = value;
}

/// <summary><c>{% set target | filters %}body{% endset %}</c>: captures rendered text.</summary>
internal sealed class SetBlockStmt(int position, Target target, FilterExpr? filter, List<Stmt> body) : Stmt(position)
{
    public Target Target { get; } = target;
    /// <summary>Filter chain applied to the captured text; its innermost Value is null.</summary>
    public FilterExpr? Filter { get; } = filter;
    public List<Stmt> Body { get; } = body;
}

internal sealed record MacroParameter(string Name, Expr? Default);

/// <summary><c>{% macro name(a, b=1) %}...{% endmacro %}</c></summary>
internal sealed class MacroStmt(int position, string name, List<MacroParameter> parameters, List<Stmt> body) : Stmt(position)
{
    public string Name { get; } = name;
    public List<MacroParameter> Parameters { get; } = parameters;
    public List<Stmt> Body { get; } = body;
    /// <summary>Whether the body mentions caller/varargs/kwargs, which changes what a call accepts (as in Jinja2).</summary>
    public bool UsesCaller { get; set; }
    public bool UsesVarargs { get; set; }
    public bool UsesKwargs { get; set; }
}

/// <summary><c>{% call(args) macro(...) %}body{% endcall %}</c>: the body becomes the macro's <c>caller()</c>.</summary>
internal sealed class CallBlockStmt(int position, CallExpr call, List<MacroParameter> parameters, List<Stmt> body) : Stmt(position)
{
    public CallExpr Call { get; } = call;
    public List<MacroParameter> Parameters { get; } = parameters;
    public List<Stmt> Body { get; } = body;
}

/// <summary><c>{% filter name(args) %}body{% endfilter %}</c></summary>
internal sealed class FilterBlockStmt(int position, FilterExpr filter, List<Stmt> body) : Stmt(position)
{
    public FilterExpr Filter { get; } = filter;
    public List<Stmt> Body { get; } = body;
}

/// <summary><c>{% with a = 1 %}...{% endwith %}</c>: a body with its own scope.</summary>
internal sealed class WithStmt(int position, List<(Target Target, Expr Value)> assignments, List<Stmt> body) : Stmt(position)
{
    public List<(Target Target, Expr Value)> Assignments { get; } = assignments;
    public List<Stmt> Body { get; } = body;
}

/// <summary>A body rendered in place with no scope of its own (<c>{% generation %}</c>).</summary>
internal sealed class BlockStmt(int position, List<Stmt> body) : Stmt(position)
{
    public List<Stmt> Body { get; } = body;
}

internal sealed class BreakStmt(int position) : Stmt(position);

internal sealed class ContinueStmt(int position) : Stmt(position);

// ---------------------------------------------------------------- assignment targets

internal abstract class Target(int position) : Node(position);

internal sealed class NameTarget(int position, string name) : Target(position)
{
    public string Name { get; } = name;
}

/// <summary><c>ns.attr</c> on the left of <c>set</c> (only namespaces accept it).</summary>
internal sealed class AttributeTarget(int position, string objectName, string attribute) : Target(position)
{
    public string ObjectName { get; } = objectName;
    public string Attribute { get; } = attribute;
}

internal sealed class TupleTarget(int position, List<Target> items) : Target(position)
{
    public List<Target> Items { get; } = items;
}

// ---------------------------------------------------------------- expressions

internal abstract class Expr(int position) : Node(position);

internal sealed class ConstExpr(int position, object? value) : Expr(position)
{
    public object? Value { get; } = value;
}

internal sealed class NameExpr(int position, string name) : Expr(position)
{
    public string Name { get; } = name;
}

internal sealed class ListExpr(int position, List<Expr> items) : Expr(position)
{
    public List<Expr> Items { get; } = items;
}

internal sealed class TupleExpr(int position, List<Expr> items) : Expr(position)
{
    public List<Expr> Items { get; } = items;
}

internal sealed class DictExpr(int position, List<(Expr Key, Expr Value)> items) : Expr(position)
{
    public List<(Expr Key, Expr Value)> Items { get; } = items;
}

/// <summary><c>obj.name</c> (attribute first, then item — Jinja2's getattr).</summary>
internal sealed class GetAttrExpr(int position, Expr obj, string name) : Expr(position)
{
    public Expr Object { get; } = obj;
    public string Name { get; } = name;
}

/// <summary><c>obj[key]</c> (item first, then attribute — Jinja2's getitem).</summary>
internal sealed class GetItemExpr(int position, Expr obj, Expr key) : Expr(position)
{
    public Expr Object { get; } = obj;
    public Expr Key { get; } = key;
}

/// <summary><c>obj[start:stop:step]</c></summary>
internal sealed class SliceExpr(int position, Expr obj, Expr? start, Expr? stop, Expr? step) : Expr(position)
{
    public Expr Object { get; } = obj;
    public Expr? Start { get; } = start;
    public Expr? Stop { get; } = stop;
    public Expr? Step { get; } = step;
}

/// <summary>Call arguments as written: positional, keyword, and optional <c>*args</c>/<c>**kwargs</c>.</summary>
internal sealed class CallArguments(List<Expr> positional, List<(string Name, Expr Value)> keywords, Expr? starArgs, Expr? starKwargs)
{
    public static readonly CallArguments None = new([], [], null, null);

    public List<Expr> Positional { get; } = positional;
    public List<(string Name, Expr Value)> Keywords { get; } = keywords;
    public Expr? StarArgs { get; } = starArgs;
    public Expr? StarKwargs { get; } = starKwargs;
}

internal sealed class CallExpr(int position, Expr callee, CallArguments args) : Expr(position)
{
    public Expr Callee { get; } = callee;
    public CallArguments Args { get; } = args;
}

/// <summary><c>value | name(args)</c>; Value is null inside filter blocks and set blocks, where the body is the input.</summary>
internal sealed class FilterExpr(int position, Expr? value, string name, CallArguments args) : Expr(position)
{
    public Expr? Value { get; } = value;
    public string Name { get; } = name;
    public CallArguments Args { get; } = args;
}

/// <summary><c>value is [not] name(args)</c></summary>
internal sealed class TestExpr(int position, Expr value, string name, CallArguments args, bool negated) : Expr(position)
{
    public Expr Value { get; } = value;
    public string Name { get; } = name;
    public CallArguments Args { get; } = args;
    public bool Negated { get; } = negated;
}

internal enum UnaryOp { Not, Negate, Plus }

internal sealed class UnaryExpr(int position, UnaryOp op, Expr operand) : Expr(position)
{
    public UnaryOp Op { get; } = op;
    public Expr Operand { get; } = operand;
}

internal enum BinaryOp { Add, Subtract, Multiply, Divide, FloorDivide, Modulo, Power, Concat, And, Or }

internal sealed class BinaryExpr(int position, BinaryOp op, Expr left, Expr right) : Expr(position)
{
    public BinaryOp Op { get; } = op;
    public Expr Left { get; } = left;
    public Expr Right { get; } = right;
}

/// <summary>Comparison chain <c>a &lt; b &lt;= c</c> (Python semantics: each pair, left to right, short-circuit).</summary>
internal sealed class CompareExpr(int position, Expr first, List<(string Op, Expr Operand)> rest) : Expr(position)
{
    public Expr First { get; } = first;
    public List<(string Op, Expr Operand)> Rest { get; } = rest;
}

/// <summary><c>a if test else b</c>; without <c>else</c> the result is Undefined.</summary>
internal sealed class CondExpr(int position, Expr test, Expr then, Expr? otherwise) : Expr(position)
{
    public Expr Test { get; } = test;
    public Expr Then { get; } = then;
    public Expr? Else { get; } = otherwise;
}
