using System.Collections.Immutable;

namespace ImidCare.Rules;

/// <summary>What a rule decided. <see cref="Hold"/> means "not now, and here is what clears it".</summary>
public enum Outcome
{
    Allowed,
    Denied,
    Hold,
}

/// <summary>
/// Where a rule comes from: the program document or label section, and the evidence tag the
/// shared fact sheets give it (REMS facts: S, S2, T, I; clinical rules: L-V, L-S, L-OLD, K, T).
/// A rule that rests on a third-party paraphrase, an inference, recalled knowledge or a text
/// marked "still unconfirmed" is <see cref="Unverified"/>, and that flag travels with every answer.
/// </summary>
public sealed record RuleSource(string Document, string Evidence, bool Unverified)
{
    public static RuleSource Verified(string document, string evidence) => new(document, evidence, false);

    public static RuleSource UnverifiedRule(string document, string evidence) => new(document, evidence, true);

    public override string ToString() => Unverified ? $"{Document} [{Evidence}, unverified]" : $"{Document} [{Evidence}]";
}

/// <summary>One reason behind a decision: a stable code for machines, a sentence for people, and its source.</summary>
public sealed record Reason(string Code, string Message, RuleSource Source)
{
    public bool Unverified => Source.Unverified;
}

/// <summary>
/// A rule's answer. The same value goes to the API, the audit trail, the UI, CDS Hooks cards and
/// NCPDP reason codes: one decision, many renderings. For an allowed decision the reasons are the
/// rules that were checked and held; for a denial or hold they are the rules that failed.
/// </summary>
public sealed record Decision(Outcome Outcome, ImmutableArray<Reason> Reasons)
{
    public bool IsAllowed => Outcome == Outcome.Allowed;

    /// <summary>True when any rule behind this answer is not confirmed by a primary text.</summary>
    public bool UsesUnverifiedRules => Reasons.Any(r => r.Unverified);

    public static Decision Allow(params Reason[] checkedRules) => new(Outcome.Allowed, [.. checkedRules]);

    public static Decision Deny(params Reason[] failures) => new(Outcome.Denied, [.. failures]);

    public static Decision HoldFor(params Reason[] failures) => new(Outcome.Hold, [.. failures]);

    /// <summary>
    /// Combines independent checks: any denial denies, else any hold holds, else allowed. The
    /// reasons kept are the failing ones when something failed, so a refusal lists everything
    /// that is missing at once rather than one thing per attempt.
    /// </summary>
    public static Decision Combine(IEnumerable<Decision> decisions)
    {
        var all = decisions.ToList();
        var failed = all.Where(d => d.Outcome != Outcome.Allowed).ToList();
        if (failed.Count == 0)
        {
            return new Decision(Outcome.Allowed, [.. all.SelectMany(d => d.Reasons)]);
        }

        var outcome = failed.Any(d => d.Outcome == Outcome.Denied) ? Outcome.Denied : Outcome.Hold;
        return new Decision(outcome, [.. failed.SelectMany(d => d.Reasons)]);
    }
}

/// <summary>
/// Collects the checks of one decision without an intermediate Decision per check, with the same
/// semantics as <see cref="Decision.Combine"/>: any denial denies, else any hold holds, and a
/// refusal keeps only the failing reasons. The decisions sit on the pharmacy's hot path.
/// </summary>
public sealed class DecisionBuilder
{
    // One scratch array per thread, taken by a builder and given back by Build: the decisions run
    // on every counter call, and this array was the largest allocation of each. A builder nested in
    // another, or one never built, simply allocates its own.
    [ThreadStatic]
    private static Reason[]? spare;

    private Reason[]? passed = TakeSpare();
    private int passedCount;
    private Reason[]? failed;
    private int failedCount;
    private bool denied;
    private bool built;

    public bool AnyFailed => failedCount > 0;

    public DecisionBuilder Pass(Reason reason)
    {
        Append(ref passed, ref passedCount, reason);
        return this;
    }

    public DecisionBuilder Deny(Reason reason)
    {
        Append(ref failed, ref failedCount, reason);
        denied = true;
        return this;
    }

    public DecisionBuilder Hold(Reason reason)
    {
        Append(ref failed, ref failedCount, reason);
        return this;
    }

    private static void Append(ref Reason[]? items, ref int count, Reason reason)
    {
        items ??= new Reason[4];
        if (count == items.Length)
        {
            Array.Resize(ref items, count * 2);
        }

        items[count++] = reason;
    }

    /// <summary>Pass with <paramref name="ok"/> when the condition holds, else deny with what <paramref name="fail"/> builds (built only then).</summary>
    public DecisionBuilder Check<TState>(bool condition, Reason ok, TState state, Func<TState, Reason> fail) =>
        condition ? Pass(ok) : Deny(fail(state));

    public DecisionBuilder Add(Decision d)
    {
        foreach (var r in d.Reasons)
        {
            _ = d.Outcome switch
            {
                Outcome.Allowed => Pass(r),
                Outcome.Denied => Deny(r),
                _ => Hold(r),
            };
        }

        return this;
    }

    /// <summary>The decision; a builder builds once (its scratch array goes back to the thread).</summary>
    public Decision Build(params ReadOnlySpan<Reason> onSuccess)
    {
        ObjectDisposedException.ThrowIf(built, this);
        built = true;
        var decision = failedCount > 0
            ? new Decision(denied ? Outcome.Denied : Outcome.Hold, Seal(failed!, failedCount, []))
            : new Decision(Outcome.Allowed, Seal(passed!, passedCount, onSuccess));
        GiveBackSpare();
        return decision;
    }

    private static Reason[] TakeSpare()
    {
        var s = spare;
        if (s is null)
        {
            return new Reason[16];
        }

        spare = null;
        return s;
    }

    private void GiveBackSpare()
    {
        if (passed is { Length: 16 } p)
        {
            Array.Clear(p, 0, passedCount);
            passed = null;
            passedCount = 0;
            spare = p;
        }
    }

    /// <summary>One exact-size array handed to the ImmutableArray without a second copy; the builder never touches it again.</summary>
    private static ImmutableArray<Reason> Seal(Reason[] items, int count, ReadOnlySpan<Reason> more)
    {
        var result = new Reason[count + more.Length];
        Array.Copy(items, result, count);
        more.CopyTo(result.AsSpan(count));
        return System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(result);
    }
}
