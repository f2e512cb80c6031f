using System.Collections.Concurrent;

namespace ImidCare.Server.Rems;

/// <summary>
/// One kept string per few-valued column value (program, drug, category, state, prescriber, sex,
/// menstrual pattern), each with a small index: the status check's reads share these instead of
/// holding copies, and the status cache stores the index instead of the characters. At most
/// <see cref="Max"/> values; past that, a value is used as read (and stored in full).
/// </summary>
internal static class SharedStrings
{
    public const int Max = 4096;

    private static readonly ConcurrentDictionary<string, int> Indexes = new(StringComparer.Ordinal);
    private static readonly string[] Values = new string[Max];
    private static readonly Lock Adding = new();
    private static int count;

    /// <summary>The kept instance of <paramref name="value"/>, keeping it when there is room.</summary>
    public static string Intern(string value) => IndexOf(value, add: true) is var i and >= 0 ? At(i) : value;

    /// <summary>The index of the kept instance, or -1 when it is not kept (and, with <paramref name="add"/>, there was no room).</summary>
    public static int IndexOf(string value, bool add = false)
    {
        if (Indexes.TryGetValue(value, out var i))
        {
            return i;
        }

        if (!add || Volatile.Read(ref count) >= Max)
        {
            return -1;
        }

        lock (Adding)
        {
            if (Indexes.TryGetValue(value, out i))
            {
                return i;
            }

            if (count == Max)
            {
                return -1;
            }

            // The value is in place before its index can be found.
            Volatile.Write(ref Values[count], value);
            Indexes[value] = count;
            return count++;
        }
    }

    /// <summary>The kept string at an index <see cref="IndexOf"/> gave (an index is never reused).</summary>
    public static string At(int index) => Volatile.Read(ref Values[index]);
}
