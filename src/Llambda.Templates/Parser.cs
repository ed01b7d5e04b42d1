namespace Llambda.Templates;

/// <summary>
/// Recursive-descent parser from tokens to the syntax tree, following Jinja2's grammar and operator precedence
/// (lowest first): <c>x if c else y</c>, <c>or</c>, <c>and</c>, <c>not</c>, comparisons/<c>in</c>, <c>+ -</c>, <c>~</c>,
/// <c>* / // %</c>, <c>**</c>, unary <c>- +</c>, then postfix (<c>.a [i] (args)</c>) and filters/tests
/// (<c>|f</c>, <c>is t</c>), which bind tighter than any binary operator.
/// </summary>
internal sealed class Parser
{
    private const int MaxNesting = 200;

    private readonly List<Token> _tokens;
    private readonly SourceMap _map;
    private int _index;
    private int _nesting;       // expression/statement nesting, bounded so hostile input cannot overflow the stack
    private int _loopDepth;     // break/continue are only valid inside a for body
    private int _softDepth;     // inside if/ternary, unknown filters and tests fail at render time instead (as in Jinja2;
                                // we stay lenient in loops nested in an if, so a template Jinja2 accepts is never refused)
    private readonly List<HashSet<string>> _macroNameUses = [];

    private Parser(List<Token> tokens, SourceMap map)
    {
        _tokens = tokens;
        _map = map;
    }

    public static List<Stmt> Parse(List<Token> tokens, SourceMap map)
    {
        var parser = new Parser(tokens, map);
        var body = parser.ParseBody(null, out _);
        return body;
    }

    // ---------------------------------------------------------------- token helpers

    private Token Current => _tokens[_index];

    private Token Peek(int offset = 1) => _tokens[Math.Min(_index + offset, _tokens.Count - 1)];

    private Token Next() => _tokens[_index++];

    private TemplateException Error(string message, Token at)
    {
        var (line, column) = _map.Locate(at.Position);
        return new TemplateException(message, TemplateErrorKind.Syntax, line, column);
    }

    private Token ExpectOperator(string op)
    {
        if (!Current.IsOperator(op)) throw Error($"expected '{op}', got {Current}", Current);
        return Next();
    }

    private Token ExpectName()
    {
        if (Current.Kind != TokenKind.Name) throw Error($"expected a name, got {Current}", Current);
        return Next();
    }

    private void ExpectBlockEnd()
    {
        if (Current.Kind != TokenKind.BlockEnd) throw Error($"expected end of statement block, got {Current}", Current);
        Next();
    }

    private void Enter()
    {
        if (++_nesting > MaxNesting) throw Error("template nests too deeply", Current);
    }

    private void Leave() => _nesting--;

    // ---------------------------------------------------------------- statements

    /// <summary>
    /// Parses statements until a block tag named in <paramref name="endTags"/> (left as the current token, its
    /// <c>{%</c> consumed) or, at top level, the end of the template.
    /// </summary>
    private List<Stmt> ParseBody(string[]? endTags, out string endTag)
    {
        var body = new List<Stmt>();
        while (true)
        {
            Token token = Current;
            switch (token.Kind)
            {
                case TokenKind.Text:
                    body.Add(new TextStmt(token.Position, token.Text));
                    Next();
                    break;
                case TokenKind.VariableBegin:
                {
                    Next();
                    Expr value = ParseTuple();
                    if (Current.Kind != TokenKind.VariableEnd) throw Error($"expected end of print statement, got {Current}", Current);
                    Next();
                    body.Add(new PrintStmt(token.Position, value));
                    break;
                }
                case TokenKind.BlockBegin:
                {
                    Token name = Peek();
                    if (endTags != null && name.Kind == TokenKind.Name && Array.IndexOf(endTags, name.Text) >= 0)
                    {
                        Next();
                        endTag = name.Text;
                        return body;
                    }
                    Next();
                    body.Add(ParseStatement());
                    break;
                }
                case TokenKind.Eof:
                    if (endTags != null)
                        throw Error($"unexpected end of template, expected {string.Join(" or ", endTags.Select(t => $"'{t}'"))}", token);
                    endTag = "";
                    return body;
                default:
                    throw Error($"unexpected {token}", token);
            }
        }
    }

    /// <summary>Consumes the end tag name left by ParseBody and the closing <c>%}</c>.</summary>
    private void FinishEndTag()
    {
        Next();
        ExpectBlockEnd();
    }

    private Stmt ParseStatement()
    {
        Token tag = Current;
        if (tag.Kind != TokenKind.Name) throw Error($"tag name expected, got {tag}", tag);
        Enter();
        try
        {
            Next();
            switch (tag.Text)
            {
                case "if": return ParseIf(tag);
                case "for": return ParseFor(tag);
                case "set": return ParseSet(tag);
                case "macro": return ParseMacro(tag);
                case "call": return ParseCallBlock(tag);
                case "filter": return ParseFilterBlock(tag);
                case "with": return ParseWith(tag);
                case "generation":
                {
                    // transformers' AssistantTracker: outside assistant-mask mode the body renders unchanged.
                    ExpectBlockEnd();
                    var body = ParseBody(["endgeneration"], out _);
                    FinishEndTag();
                    return new BlockStmt(tag.Position, body);
                }
                case "break":
                case "continue":
                    if (_loopDepth == 0) throw Error($"'{tag.Text}' outside of a loop", tag);
                    ExpectBlockEnd();
                    return tag.Text == "break" ? new BreakStmt(tag.Position) : new ContinueStmt(tag.Position);
                default:
                    throw Error($"Encountered unknown tag '{tag.Text}'.", tag);
            }
        }
        finally
        {
            Leave();
        }
    }

    private Stmt ParseIf(Token tag)
    {
        _softDepth++;
        try
        {
            Expr test = ParseTuple(withCondExpr: true);
            ExpectBlockEnd();
            var body = ParseBody(["elif", "else", "endif"], out string end);
            var elseBody = new List<Stmt>();
            if (end == "elif")
            {
                Token elif = Next();
                elseBody.Add(ParseIf(elif)); // consumes through endif
            }
            else if (end == "else")
            {
                Next();
                ExpectBlockEnd();
                elseBody = ParseBody(["endif"], out _);
                FinishEndTag();
            }
            else
            {
                FinishEndTag();
            }
            return new IfStmt(tag.Position, test, body, elseBody);
        }
        finally
        {
            _softDepth--;
        }
    }

    private Stmt ParseFor(Token tag)
    {
        Target target = ParseAssignTarget(withNamespace: false, endName: "in");
        if (!Current.IsName("in")) throw Error($"expected 'in', got {Current}", Current);
        Next();
        Expr iter = ParseTuple(withCondExpr: false, endName: "recursive");
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            Next();
            filter = ParseExpression();
        }
        bool recursive = false;
        if (Current.IsName("recursive"))
        {
            Next();
            recursive = true;
        }
        ExpectBlockEnd();
        _loopDepth++;
        var body = ParseBody(["endfor", "else"], out string end);
        _loopDepth--;
        var elseBody = new List<Stmt>();
        if (end == "else")
        {
            Next();
            ExpectBlockEnd();
            elseBody = ParseBody(["endfor"], out _);
        }
        FinishEndTag();
        return new ForStmt(tag.Position, target, iter, filter, recursive, body, elseBody);
    }

    private Stmt ParseSet(Token tag)
    {
        Target target = ParseAssignTarget(withNamespace: true, endName: null);
        if (Current.IsOperator("="))
        {
            Next();
            Expr value = ParseTuple();
            ExpectBlockEnd();
            return new SetStmt(tag.Position, target, value);
        }
        FilterExpr? filter = null;
        if (Current.IsOperator("|"))
        {
            Next();
            filter = ParseFilterChain(null);
        }
        ExpectBlockEnd();
        var body = ParseBody(["endset"], out _);
        FinishEndTag();
        return new SetBlockStmt(tag.Position, target, filter, body);
    }

    private Stmt ParseMacro(Token tag)
    {
        string name = ExpectName().Text;
        var parameters = ParseParameters();
        ExpectBlockEnd();
        var uses = new HashSet<string>();
        _macroNameUses.Add(uses);
        int savedLoop = _loopDepth;
        _loopDepth = 0;
        var body = ParseBody(["endmacro"], out _);
        _loopDepth = savedLoop;
        _macroNameUses.RemoveAt(_macroNameUses.Count - 1);
        FinishEndTag();
        return new MacroStmt(tag.Position, name, parameters, body)
        {
            UsesCaller = uses.Contains("caller"),
            UsesVarargs = uses.Contains("varargs"),
            UsesKwargs = uses.Contains("kwargs"),
        };
    }

    private List<MacroParameter> ParseParameters()
    {
        var parameters = new List<MacroParameter>();
        ExpectOperator("(");
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0) ExpectOperator(",");
            if (Current.IsOperator(")")) break;
            Token name = ExpectName();
            Expr? defaultValue = null;
            if (Current.IsOperator("="))
            {
                Next();
                defaultValue = ParseExpression();
            }
            else if (parameters.Count > 0 && parameters[^1].Default != null)
            {
                throw Error("non-default argument follows default argument", name);
            }
            parameters.Add(new MacroParameter(name.Text, defaultValue));
        }
        Next();
        return parameters;
    }

    private Stmt ParseCallBlock(Token tag)
    {
        var parameters = Current.IsOperator("(") ? ParseParameters() : [];
        Expr call = ParseExpression();
        if (call is not CallExpr callExpr) throw Error("expected call", tag);
        ExpectBlockEnd();
        var uses = new HashSet<string>();
        _macroNameUses.Add(uses);
        var body = ParseBody(["endcall"], out _);
        _macroNameUses.RemoveAt(_macroNameUses.Count - 1);
        FinishEndTag();
        return new CallBlockStmt(tag.Position, callExpr, parameters, body);
    }

    private Stmt ParseFilterBlock(Token tag)
    {
        FilterExpr filter = ParseFilterChain(null);
        ExpectBlockEnd();
        var body = ParseBody(["endfilter"], out _);
        FinishEndTag();
        return new FilterBlockStmt(tag.Position, filter, body);
    }

    private Stmt ParseWith(Token tag)
    {
        var assignments = new List<(Target, Expr)>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (assignments.Count > 0) ExpectOperator(",");
            Target target = ParseAssignTarget(withNamespace: false, endName: null);
            ExpectOperator("=");
            assignments.Add((target, ParseExpression()));
        }
        Next();
        var body = ParseBody(["endwith"], out _);
        FinishEndTag();
        return new WithStmt(tag.Position, assignments, body);
    }

    /// <summary>Left side of set/for/with: a name, <c>ns.attr</c> (set only), or a (possibly parenthesized) tuple of targets.</summary>
    private Target ParseAssignTarget(bool withNamespace, string? endName)
    {
        Token start = Current;
        if (withNamespace && Current.Kind == TokenKind.Name && Peek().IsOperator("."))
        {
            string obj = Next().Text;
            Next();
            string attribute = ExpectName().Text;
            return new AttributeTarget(start.Position, obj, attribute);
        }
        var items = new List<Target>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0)
            {
                if (!Current.IsOperator(",")) break;
                Next();
                isTuple = true;
                if (Current.IsOperator("=") || Current.Kind == TokenKind.BlockEnd || (endName != null && Current.IsName(endName))) break;
            }
            items.Add(ParseTargetItem());
        }
        return isTuple ? new TupleTarget(start.Position, items) : items[0];
    }

    private Target ParseTargetItem()
    {
        Token start = Current;
        if (Current.IsOperator("("))
        {
            Next();
            var items = new List<Target>();
            while (!Current.IsOperator(")"))
            {
                if (items.Count > 0) ExpectOperator(",");
                if (Current.IsOperator(")")) break;
                items.Add(ParseTargetItem());
            }
            Next();
            return new TupleTarget(start.Position, items);
        }
        Token name = ExpectName();
        if (name.Text is "true" or "false" or "none" or "True" or "False" or "None")
            throw Error($"cannot assign to '{name.Text}'", name);
        return new NameTarget(name.Position, name.Text);
    }

    // ---------------------------------------------------------------- expressions

    public Expr ParseExpression(bool withCondExpr = true)
    {
        Enter();
        try
        {
            return withCondExpr ? ParseCondExpr() : ParseOr();
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Comma-separated expressions become a tuple (<c>{{ a, b }}</c>, <c>set x = 1, 2</c>).</summary>
    private Expr ParseTuple(bool withCondExpr = true, bool explicitParentheses = false, string? endName = null)
    {
        Token start = Current;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0) ExpectOperator(",");
            if (IsTupleEnd(endName)) break;
            items.Add(ParseExpression(withCondExpr));
            if (Current.IsOperator(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (items.Count > 0) return items[0];
            if (!explicitParentheses) throw Error($"expected an expression, got {Current}", Current);
        }
        return new TupleExpr(start.Position, items);
    }

    private bool IsTupleEnd(string? endName) =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof
        || Current.IsOperator(")")
        || (endName != null && Current.IsName(endName));

    private Expr ParseCondExpr()
    {
        Expr expr = ParseOr();
        while (Current.IsName("if"))
        {
            Token tok = Next();
            _softDepth++;
            Expr test = ParseOr();
            Expr? otherwise = null;
            if (Current.IsName("else"))
            {
                Next();
                otherwise = ParseCondExpr();
            }
            _softDepth--;
            expr = new CondExpr(tok.Position, test, expr, otherwise);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        Expr left = ParseAnd();
        while (Current.IsName("or"))
        {
            Token op = Next();
            left = new BinaryExpr(op.Position, BinaryOp.Or, left, ParseAnd());
        }
        return left;
    }

    private Expr ParseAnd()
    {
        Expr left = ParseNot();
        while (Current.IsName("and"))
        {
            Token op = Next();
            left = new BinaryExpr(op.Position, BinaryOp.And, left, ParseNot());
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            Token op = Next();
            Enter();
            try
            {
                return new UnaryExpr(op.Position, UnaryOp.Not, ParseNot());
            }
            finally
            {
                Leave();
            }
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        Token start = Current;
        Expr first = ParseMath1();
        List<(string, Expr)>? rest = null;
        while (true)
        {
            string op;
            if (Current.Kind == TokenKind.Operator && Current.Text is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                op = Next().Text;
            }
            else if (Current.IsName("in"))
            {
                Next();
                op = "in";
            }
            else if (Current.IsName("not") && Peek().IsName("in"))
            {
                Next();
                Next();
                op = "not in";
            }
            else
            {
                break;
            }
            (rest ??= []).Add((op, ParseMath1()));
        }
        return rest == null ? first : new CompareExpr(start.Position, first, rest);
    }

    private Expr ParseMath1()
    {
        Expr left = ParseConcat();
        while (Current.Kind == TokenKind.Operator && Current.Text is "+" or "-")
        {
            Token op = Next();
            left = new BinaryExpr(op.Position, op.Text == "+" ? BinaryOp.Add : BinaryOp.Subtract, left, ParseConcat());
        }
        return left;
    }

    private Expr ParseConcat()
    {
        Expr left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            Token op = Next();
            left = new BinaryExpr(op.Position, BinaryOp.Concat, left, ParseMath2());
        }
        return left;
    }

    private Expr ParseMath2()
    {
        Expr left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            Token op = Next();
            BinaryOp kind = op.Text switch
            {
                "*" => BinaryOp.Multiply,
                "/" => BinaryOp.Divide,
                "//" => BinaryOp.FloorDivide,
                _ => BinaryOp.Modulo,
            };
            left = new BinaryExpr(op.Position, kind, left, ParsePow());
        }
        return left;
    }

    private Expr ParsePow()
    {
        Expr left = ParseUnary();
        while (Current.IsOperator("**"))
        {
            Token op = Next();
            left = new BinaryExpr(op.Position, BinaryOp.Power, left, ParseUnary());
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        Enter();
        try
        {
            Token start = Current;
            Expr node;
            if (start.IsOperator("-"))
            {
                Next();
                node = new UnaryExpr(start.Position, UnaryOp.Negate, ParseUnary(false));
            }
            else if (start.IsOperator("+"))
            {
                Next();
                node = new UnaryExpr(start.Position, UnaryOp.Plus, ParseUnary(false));
            }
            else
            {
                node = ParsePrimary();
            }
            node = ParsePostfix(node);
            if (withFilter) node = ParseFilterAndTests(node);
            return node;
        }
        finally
        {
            Leave();
        }
    }

    private Expr ParsePrimary()
    {
        Token token = Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                Next();
                switch (token.Text)
                {
                    case "true" or "True": return new ConstExpr(token.Position, true);
                    case "false" or "False": return new ConstExpr(token.Position, false);
                    case "none" or "None": return new ConstExpr(token.Position, null);
                }
                foreach (var uses in _macroNameUses) uses.Add(token.Text);
                return new NameExpr(token.Position, token.Text);
            case TokenKind.String:
            {
                // Adjacent literals concatenate, as in Python.
                string value = (string)token.Value!;
                Next();
                while (Current.Kind == TokenKind.String) value += (string)Next().Value!;
                return new ConstExpr(token.Position, value);
            }
            case TokenKind.Integer:
            case TokenKind.Float:
                Next();
                return new ConstExpr(token.Position, token.Value);
            case TokenKind.Operator when token.Text == "(":
            {
                Next();
                Expr inner = ParseTuple(explicitParentheses: true);
                ExpectOperator(")");
                return inner;
            }
            case TokenKind.Operator when token.Text == "[":
            {
                Next();
                var items = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    if (items.Count > 0) ExpectOperator(",");
                    if (Current.IsOperator("]")) break;
                    items.Add(ParseExpression());
                }
                Next();
                return new ListExpr(token.Position, items);
            }
            case TokenKind.Operator when token.Text == "{":
            {
                Next();
                var items = new List<(Expr, Expr)>();
                while (!Current.IsOperator("}"))
                {
                    if (items.Count > 0) ExpectOperator(",");
                    if (Current.IsOperator("}")) break;
                    Expr key = ParseExpression();
                    ExpectOperator(":");
                    items.Add((key, ParseExpression()));
                }
                Next();
                return new DictExpr(token.Position, items);
            }
            default:
                throw Error($"unexpected {token}", token);
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            Token token = Current;
            if (token.IsOperator("."))
            {
                Next();
                Token attr = Next();
                if (attr.Kind == TokenKind.Name) node = new GetAttrExpr(token.Position, node, attr.Text);
                else if (attr.Kind == TokenKind.Integer) node = new GetItemExpr(token.Position, node, new ConstExpr(attr.Position, attr.Value));
                else throw Error($"expected name or number after '.', got {attr}", attr);
            }
            else if (token.IsOperator("["))
            {
                Next();
                node = ParseSubscript(token, node);
            }
            else if (token.IsOperator("("))
            {
                node = new CallExpr(token.Position, node, ParseCallArguments());
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Token open, Expr node)
    {
        var keys = new List<Expr>();
        Expr? slice = null;
        while (!Current.IsOperator("]"))
        {
            if (keys.Count > 0 || slice != null) ExpectOperator(",");
            Expr? start = null, stop = null, step = null;
            if (!Current.IsOperator(":"))
            {
                start = ParseExpression();
                if (!Current.IsOperator(":"))
                {
                    keys.Add(start);
                    continue;
                }
            }
            Next(); // ':'
            if (!Current.IsOperator("]") && !Current.IsOperator(",") && !Current.IsOperator(":")) stop = ParseExpression();
            if (Current.IsOperator(":"))
            {
                Next();
                if (!Current.IsOperator("]") && !Current.IsOperator(",")) step = ParseExpression();
            }
            slice = new SliceExpr(open.Position, node, start, stop, step);
        }
        Next(); // ']'
        if (slice != null)
        {
            if (keys.Count > 0) throw Error("extended slicing is not supported", open);
            return slice;
        }
        if (keys.Count == 0) throw Error("expected a subscript", open);
        Expr key = keys.Count == 1 ? keys[0] : new TupleExpr(open.Position, keys);
        return new GetItemExpr(open.Position, node, key);
    }

    private CallArguments ParseCallArguments()
    {
        ExpectOperator("(");
        var positional = new List<Expr>();
        var keywords = new List<(string, Expr)>();
        Expr? starArgs = null, starKwargs = null;
        bool first = true;
        while (!Current.IsOperator(")"))
        {
            if (!first) ExpectOperator(",");
            first = false;
            if (Current.IsOperator(")")) break;
            if (Current.IsOperator("*"))
            {
                Next();
                starArgs = ParseExpression();
            }
            else if (Current.IsOperator("**"))
            {
                Next();
                starKwargs = ParseExpression();
            }
            else if (Current.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                string name = Next().Text;
                Next();
                keywords.Add((name, ParseExpression()));
            }
            else
            {
                if (keywords.Count > 0 || starArgs != null || starKwargs != null)
                    throw Error("invalid syntax for function call expression", Current);
                positional.Add(ParseExpression());
            }
        }
        Next();
        return new CallArguments(positional, keywords, starArgs, starKwargs);
    }

    private Expr ParseFilterAndTests(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                Next();
                node = ParseFilterChain(node);
            }
            else if (Current.IsName("is"))
            {
                node = ParseTest(node);
            }
            else if (Current.IsOperator("("))
            {
                node = new CallExpr(Current.Position, node, ParseCallArguments());
            }
            else
            {
                return node;
            }
        }
    }

    /// <summary>After a <c>|</c>: <c>name(args) | name2 ...</c>; <paramref name="value"/> is null for filter/set blocks.</summary>
    private FilterExpr ParseFilterChain(Expr? value)
    {
        FilterExpr filter = ParseOneFilter(value);
        while (Current.IsOperator("|"))
        {
            Next();
            filter = ParseOneFilter(filter);
        }
        return filter;
    }

    private FilterExpr ParseOneFilter(Expr? value)
    {
        Token nameToken = ExpectName();
        string name = nameToken.Text;
        while (Current.IsOperator("."))
        {
            Next();
            name += "." + ExpectName().Text;
        }
        if (_softDepth == 0 && !Filters.Exists(name)) throw Error($"No filter named '{name}'.", nameToken);
        var args = Current.IsOperator("(") ? ParseCallArguments() : CallArguments.None;
        return new FilterExpr(nameToken.Position, value, name, args);
    }

    private Expr ParseTest(Expr value)
    {
        Token isToken = Next();
        bool negated = false;
        if (Current.IsName("not"))
        {
            Next();
            negated = true;
        }
        Token nameToken = ExpectName();
        string name = nameToken.Text;
        while (Current.IsOperator("."))
        {
            Next();
            name += "." + ExpectName().Text;
        }
        if (_softDepth == 0 && !Tests.Exists(name)) throw Error($"No test named '{name}'.", nameToken);
        CallArguments args = CallArguments.None;
        Token next = Current;
        if (next.IsOperator("("))
        {
            args = ParseCallArguments();
        }
        else if ((next.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                  || next.IsOperator("[") || next.IsOperator("{"))
                 && !(next.IsName("else") || next.IsName("or") || next.IsName("and")))
        {
            if (next.IsName("is")) throw Error("You cannot chain multiple tests with is", next);
            Expr arg = ParsePostfix(ParsePrimary());
            args = new CallArguments([arg], [], null, null);
        }
        return new TestExpr(isToken.Position, value, name, args, negated);
    }
}
