namespace KrautPortal.Features.Store.Selectors;

/// <summary>
/// Parses <c>env=prod,tier!=db,team in (a,b),team notin (c),owner,!legacy</c>.
/// Dots in a key reach nested objects (<c>app.tier=web</c>).
/// </summary>
public static class SelectorParser
{
    public const int MaxLength = 4096;
    public const int MaxRequirements = 32;
    public const int MaxValuesPerSet = 64;

    public static Selector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Selector.Everything;
        if (text.Length > MaxLength) throw new SelectorParseException(text, MaxLength, $"a selector may have at most {MaxLength} characters");
        return new Cursor(text).ParseAll();
    }

    private sealed class Cursor(string text)
    {
        private int _pos;

        public Selector ParseAll()
        {
            var requirements = new List<SelectorRequirement>();
            while (true)
            {
                SkipSpaces();
                requirements.Add(ParseRequirement());
                if (requirements.Count > MaxRequirements) Fail($"a selector may have at most {MaxRequirements} requirements");
                SkipSpaces();
                if (AtEnd) break;
                Expect(',', "expected ',' between requirements");
            }
            return new Selector(requirements);
        }

        private bool AtEnd => _pos >= text.Length;
        private char Peek => text[_pos];

        private SelectorRequirement ParseRequirement()
        {
            if (AtEnd) Fail("expected a key");
            if (Peek == '!')
            {
                _pos++;
                SkipSpaces();
                return new SelectorRequirement(ParseKey(), SelectorOperator.NotExists, []);
            }

            var path = ParseKey();
            SkipSpaces();
            if (AtEnd || Peek == ',') return new SelectorRequirement(path, SelectorOperator.Exists, []);

            if (Peek == '!')
            {
                _pos++;
                Expect('=', "expected '=' after '!'");
                return new SelectorRequirement(path, SelectorOperator.NotEquals, [ParseValue()]);
            }
            if (Peek == '=')
            {
                _pos++;
                if (!AtEnd && Peek == '=') _pos++;
                return new SelectorRequirement(path, SelectorOperator.Equals, [ParseValue()]);
            }

            var wordStart = _pos;
            var word = ReadWord();
            var op = word switch
            {
                "in" => SelectorOperator.In,
                "notin" => SelectorOperator.NotIn,
                "" => Fail<SelectorOperator>($"unexpected '{Peek}' after key '{string.Join('.', path)}'; expected '=', '!=', 'in' or 'notin'"),
                _ => Fail<SelectorOperator>($"unknown operator '{word}'; expected '=', '!=', 'in' or 'notin'", wordStart),
            };
            return new SelectorRequirement(path, op, ParseSet());
        }

        private List<string> ParseKey()
        {
            var start = _pos;
            var segments = new List<string>();
            while (!AtEnd && IsKeyChar(Peek)) _pos++;
            var key = text[start.._pos];
            if (key.Length == 0) Fail(AtEnd ? "expected a key" : $"unexpected '{Peek}'; expected a key");
            if (key.Length > 253) Fail("a key may have at most 253 characters", start);
            var segmentStart = start;
            foreach (var segment in key.Split('.'))
            {
                // Points at where the missing part should be, e.g. the second dot of 'a..b'.
                if (segment.Length == 0) Fail($"key '{key}' has an empty part between dots", segmentStart);
                segments.Add(segment);
                segmentStart += segment.Length + 1;
            }
            return segments;
        }

        private string ParseValue()
        {
            SkipSpaces();
            var start = _pos;
            while (!AtEnd && IsValueChar(Peek)) _pos++;
            var value = text[start.._pos];
            // 'env=' is almost always a value forgotten, not a search for empty strings; say so instead of matching nothing.
            if (value.Length == 0) Fail(AtEnd ? "expected a value" : $"unexpected '{Peek}'; expected a value");
            if (value.Length > 253) Fail("a value may have at most 253 characters", start);
            SkipSpaces();
            if (!AtEnd && Peek != ',') Fail($"unexpected '{Peek}' in value");
            return value;
        }

        private List<string> ParseSet()
        {
            SkipSpaces();
            Expect('(', "expected '(' to start the set of values");
            var values = new List<string>();
            while (true)
            {
                SkipSpaces();
                var start = _pos;
                while (!AtEnd && IsValueChar(Peek)) _pos++;
                if (_pos == start) Fail(AtEnd ? "the set of values is not closed; expected ')'" : $"expected a value, found '{Peek}'");
                values.Add(text[start.._pos]);
                if (values.Count > MaxValuesPerSet) Fail($"a set may hold at most {MaxValuesPerSet} values");
                SkipSpaces();
                if (AtEnd) Fail("the set of values is not closed; expected ')'");
                if (Peek == ')') { _pos++; return values; }
                Expect(',', $"expected ',' or ')' in the set of values, found '{Peek}'");
            }
        }

        private string ReadWord()
        {
            var start = _pos;
            while (!AtEnd && char.IsAsciiLetter(Peek)) _pos++;
            return text[start.._pos];
        }

        private void Expect(char c, string message)
        {
            if (AtEnd || Peek != c) Fail(message);
            _pos++;
        }

        private void SkipSpaces()
        {
            while (!AtEnd && Peek == ' ') _pos++;
        }

        private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/';

        /// <summary>
        /// Anything a person writes in a metadata value except the selector's own syntax (<c>, ( ) = !</c>), spaces and
        /// control characters: so <c>a+b</c>, <c>R&amp;D</c>, <c>o'neil</c>, <c>müller</c> or an emoji can be selected.
        /// </summary>
        private static bool IsValueChar(char c) =>
            char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '@' or '+' or '<' or '>' or '&' or '\''
            || (c > '\x7f' && !char.IsWhiteSpace(c) && !char.IsControl(c));

        private void Fail(string reason, int? at = null) => throw new SelectorParseException(text, at ?? _pos, reason);

        private T Fail<T>(string reason, int? at = null)
        {
            Fail(reason, at);
            return default!;
        }
    }
}
