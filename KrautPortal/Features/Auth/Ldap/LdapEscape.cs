using System.Globalization;
using System.Text;

namespace KrautPortal.Features.Auth.Ldap;

/// <summary>Escaping of user-supplied text put into a DN (RFC 4514) or a search filter (RFC 4515).</summary>
internal static class LdapEscape
{
    /// <summary>
    /// An attribute value for a DN: <c>a,b=c+d</c> becomes <c>a\,b\=c\+d</c>, so a user name can never add RDNs
    /// or attributes to the DN it is put in. Control characters are written as hex pairs.
    /// </summary>
    public static string DnValue(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"' or '+' or ',' or ';' or '<' or '>' or '\\' or '=':
                    text.Append('\\').Append(c);
                    break;
                case ' ' when i == 0 || i == value.Length - 1:
                case '#' when i == 0:
                    text.Append('\\').Append(c);
                    break;
                case < ' ' or '\x7f':
                    text.Append('\\').Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }
        return text.ToString();
    }

    /// <summary>An assertion value for a filter: <c>*</c>, <c>(</c>, <c>)</c>, <c>\</c> and NUL as hex escapes.</summary>
    public static string FilterValue(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '*' => @"\2a",
                '(' => @"\28",
                ')' => @"\29",
                '\\' => @"\5c",
                '\0' => @"\00",
                _ => c.ToString(),
            });
        }
        return text.ToString();
    }
}
