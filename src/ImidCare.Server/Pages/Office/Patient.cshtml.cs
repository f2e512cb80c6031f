using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using Microsoft.AspNetCore.Mvc;
using NodaTime;

namespace ImidCare.Server.Pages.Office;

/// <summary>
/// One patient at the prescriber's office: REMS status, pregnancy test entry, the prescriber
/// survey that yields an authorization number, and clearing a hold. Each action is the API's own
/// handler (same rules, same audit record).
/// </summary>
public sealed class PatientModel : WebPage
{
    private static readonly Dictionary<string, string> TestFields = new()
    {
        ["sensitivityMiuPerMl"] = "Test.Sensitivity",
        ["specimenAt"] = "Test.SpecimenDate",
        ["verifiedBy"] = "Test.VerifiedBy",
    };

    public PatientStatusDto Status { get; private set; } = null!;

    public ProgramRules Program { get; private set; } = null!;

    [BindProperty]
    public TestInput Test { get; set; } = new();

    [BindProperty]
    public AuthorizeInput Authorize { get; set; } = new();

    [BindProperty]
    public ClearInput Clear { get; set; } = new();

    [BindProperty]
    public EnrollmentInput Enrollment { get; set; } = new();

    public AuthorizationDto? Issued { get; private set; }

    public string? Done { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, int? enrolled)
    {
        if (!await LoadAsync(id))
        {
            return Forbid();
        }

        Done = enrolled == 1 ? "The patient is enrolled and the agreement is signed." : null;
        return Page();
    }

    public async Task<IActionResult> OnPostTestAsync(string id)
    {
        if (!await LoadAsync(id))
        {
            return Forbid();
        }

        if (Test.SpecimenDate is null || Test.SpecimenTime is null)
        {
            ModelState.AddModelError("Test.SpecimenDate", "Enter the date and time the specimen was taken.");
            return Page();
        }

        var at = LocalDate.FromDateOnly(Test.SpecimenDate.Value).At(LocalTime.FromTimeOnly(Test.SpecimenTime.Value)).InZoneLeniently(Program.Zone).ToInstant();
        var req = new PregnancyTestRequest(at, Test.Result, Test.Sensitivity, Test.Setting, Test.VerifiedBy ?? string.Empty);
        var me = Me;
        var reply = MonitoringEndpoints.ValidateTest(req, Now) ?? await WriteAsync((db, audit, now) => MonitoringEndpoints.RecordTestAsync(me, id, req, db, audit, now, Ct));
        if (Accept(reply, TestFields))
        {
            var dto = (PregnancyTestDto)reply.Body!;
            Done = $"Test of {Words.Day(dto.SpecimenDate)} recorded ({dto.Result}). " + (dto.Counts.Outcome == "allowed" ? "It counts for REMS." : string.Join(" ", dto.Counts.Reasons.Select(r => r.Message)));
            await LoadAsync(id);
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAuthorizeAsync(string id)
    {
        if (!await LoadAsync(id))
        {
            return Forbid();
        }

        var req = new AuthorizeRequest(id, Words.Drug(Program.Id), Authorize.DaysSupply, Authorize.Refills, Authorize.CounselingAttested);
        var me = Me;
        var reply = await WriteAsync((db, audit, now) => AuthorizationEndpoints.AuthorizeAsync(me, req, db, audit, now, Ct));
        if (Accept(reply))
        {
            Issued = (AuthorizationDto)reply.Body!;
            await LoadAsync(id);
        }

        return Page();
    }

    public async Task<IActionResult> OnPostClearAsync(string id, string holdId)
    {
        if (!await LoadAsync(id))
        {
            return Forbid();
        }

        var req = new ClearHoldRequest(Clear.CounselingAttested, Clear.Note ?? string.Empty);
        var me = Me;
        var reply = await WriteAsync((db, audit, now) => MonitoringEndpoints.ClearHoldAsync(me, id, holdId, req, db, audit, now, Ct));
        if (Accept(reply))
        {
            Done = "Your part of the hold is recorded.";
            await LoadAsync(id);
        }

        return Page();
    }

    /// <summary>Deactivate, disenroll or reactivate, with a reason: the API's own handler (EnrollmentStatusEndpoints).</summary>
    public async Task<IActionResult> OnPostEnrollmentAsync(string id, string move)
    {
        if (!await LoadAsync(id))
        {
            return Forbid();
        }

        if (move is not ("deactivate" or "disenroll" or "reactivate"))
        {
            return BadRequest();
        }

        if (string.IsNullOrWhiteSpace(Enrollment.Reason))
        {
            ModelState.AddModelError("Enrollment.Reason", "Give the reason for the change.");
            return Page();
        }

        var me = Me;
        var reason = Enrollment.Reason;
        var reply = await WriteAsync((db, audit, now) => EnrollmentStatusEndpoints.ChangeAsync(me, id, move, reason, db, audit, now, Ct));
        if (Accept(reply, new Dictionary<string, string> { ["reason"] = "Enrollment.Reason" }))
        {
            var r = (EnrollmentStatusReply)reply.Body!;
            Done = $"The enrollment is now {r.Status.ToLowerInvariant()}."
                + (r.AuthorizationsRevoked.Count > 0 ? $" Revoked: {string.Join(", ", r.AuthorizationsRevoked)}." : string.Empty);
            Enrollment.Reason = null;
            await LoadAsync(id);
        }

        return Page();
    }

    private async Task<bool> LoadAsync(string id)
    {
        await using var db = await DbAsync();
        if (await VisiblePatientAsync(db, id) is null || await PatientEndpoints.StatusAsync(db, id, Now, Ct) is not { } status)
        {
            return false;
        }

        Status = status;
        Program = ProgramCatalog.Find(status.Program)!;
        if (!string.Equals(Request.Query["handler"], "Test", StringComparison.OrdinalIgnoreCase))
        {
            Test.VerifiedBy ??= Me.DisplayName;
        }

        return true;
    }

    public sealed class TestInput
    {
        public DateOnly? SpecimenDate { get; set; }

        public TimeOnly? SpecimenTime { get; set; }

        public TestResult Result { get; set; } = TestResult.Negative;

        public int Sensitivity { get; set; } = 25;

        public TestSetting Setting { get; set; } = TestSetting.Lab;

        public string? VerifiedBy { get; set; }
    }

    public sealed class AuthorizeInput
    {
        public int DaysSupply { get; set; } = 28;

        public int Refills { get; set; }

        public bool CounselingAttested { get; set; }
    }

    public sealed class EnrollmentInput
    {
        public string? Reason { get; set; }
    }

    public sealed class ClearInput
    {
        public bool CounselingAttested { get; set; }

        public string? Note { get; set; }
    }
}
