using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Web;

/// <summary>
/// What every page shares: the signed-in caller, the database, the clock, and the way a state
/// change runs (the API's own handler core, through the write gate, audited) and how its answer
/// is shown: field errors next to the field, a rule's refusal with every reason in words.
/// </summary>
public abstract class WebPage : PageModel
{
    public DecisionDto? Refusal { get; private set; }

    public string? RefusalTitle { get; private set; }

    protected Caller Me => Caller.From(User) ?? throw new InvalidOperationException("The page requires a signed-in user.");

    protected CancellationToken Ct => HttpContext.RequestAborted;

    protected Instant Now => HttpContext.RequestServices.GetRequiredService<IClock>().GetCurrentInstant();

    protected Task<ImidCareDb> DbAsync() => HttpContext.RequestServices.GetRequiredService<IDbContextFactory<ImidCareDb>>().CreateDbContextAsync(Ct);

    // Scoped: every page writes through one of the API's cores, and those write through EF, which
    // the status cache's counts check table by table (none writes plain SQL; the counter's
    // confirmation and dispense, which do, have no page).
    protected Task<Reply> WriteAsync(Func<ImidCareDb, AuditWriter, Instant, Task<Reply>> work) =>
        HttpContext.RequestServices.GetRequiredService<WriteGate>().RunAsync(work, Ct, scoped: true);

    /// <summary>
    /// The patient a page is about: the one the address names, else the caller themself, else, for a
    /// caregiver, the first patient who granted them access (the oldest live grant); null when none.
    /// Whether the caller may see that patient is <see cref="VisiblePatientAsync"/>'s question.
    /// </summary>
    protected async Task<string?> PatientInViewAsync(ImidCareDb db, string? requested)
    {
        var me = Me;
        return requested ?? me.PatientId ?? (me.Role == Roles.Caregiver
            ? await db.CaregiverGrants.AsNoTracking().Where(g => g.CaregiverUserId == me.Id && g.RevokedAt == null)
                .OrderBy(g => g.GrantedAt).Select(g => g.PatientId).FirstOrDefaultAsync(Ct)
            : null);
    }

    /// <summary>The patient when the caller may see them (the same check as the API), else null.</summary>
    protected async Task<Patient?> VisiblePatientAsync(ImidCareDb db, string? id)
    {
        var patient = id is null ? null : await db.Patients.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, Ct);
        return patient is not null && await Access.CanSeePatientAsync(db, Me, patient, Ct) ? patient : null;
    }

    /// <summary>
    /// Shows a handler's problem on the page: field errors under the form fields named in
    /// <paramref name="fields"/> (API field → form field), a refusal as its decision. True when
    /// the reply was a success.
    /// </summary>
    protected bool Accept(Reply reply, IReadOnlyDictionary<string, string>? fields = null)
    {
        if (reply.Body is not ProblemDto problem)
        {
            return true;
        }

        if (problem.Errors is { } errors)
        {
            foreach (var (key, messages) in errors)
            {
                var field = fields is not null && fields.TryGetValue(key, out var f) ? f : string.Empty;
                foreach (var m in messages)
                {
                    ModelState.AddModelError(field, m);
                }
            }
        }
        else if (problem.Decision is { } decision)
        {
            Refusal = decision;
            RefusalTitle = problem.Title;
        }
        else
        {
            ModelState.AddModelError(string.Empty, problem.Detail is null ? problem.Title : $"{problem.Title} {problem.Detail}");
        }

        return false;
    }
}
