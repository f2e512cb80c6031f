using System.ComponentModel.DataAnnotations;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using NodaTime;

namespace ImidCare.Server.Pages.Office;

/// <summary>
/// The enrollment wizard: (1) the patient and the reproductive answers, (2) the category the rules
/// derive from them and the Patient-Physician Agreement signed on screen. Enrolling runs the API's
/// own enrollment (same checks, same audit record).
/// </summary>
public sealed class EnrollModel : WebPage
{
    private static readonly Dictionary<string, string> Fields = new()
    {
        ["name"] = "Input.Name",
        ["dateOfBirth"] = "Input.DateOfBirth",
        ["program"] = "Input.Program",
        ["agreement.signedBy"] = "Input.SignedBy",
        ["agreement.signerRole"] = "Input.SignerRole",
        ["agreement.accepted"] = "Input.Accepted",
        ["patientLogin.username"] = "Input.Username",
        ["patientLogin.password"] = "Input.Password",
    };

    // What step 2 shows. Every other field is a hidden input there: an error on it (the username
    // taken, which only the database knows) is fixed on step 1, next to the field.
    private static readonly HashSet<string> StepTwoFields = ["Input.SignedBy", "Input.SignerRole", "Input.Accepted"];

    [BindProperty]
    public EnrollInput Input { get; set; } = new();

    /// <summary>
    /// The patient's password between the two steps, sealed by the server's data protection (and
    /// good for <see cref="SealedFor"/>): step 2's page never holds it in clear, and it is never
    /// written back into a form.
    /// </summary>
    [BindProperty]
    public string? SealedPassword { get; set; }

    public static readonly TimeSpan SealedFor = TimeSpan.FromMinutes(30);

    private ITimeLimitedDataProtector Sealer =>
        HttpContext.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector("ImidCare.EnrollWizard.Password").ToTimeLimitedDataProtector();

    public int Step { get; private set; } = 1;

    public RiskCategory? Category { get; private set; }

    public string? AgreementText { get; private set; }

    public void OnGet()
    {
    }

    public IActionResult OnPostBack()
    {
        ModelState.Clear();
        return Page();
    }

    public IActionResult OnPostPreview()
    {
        ModelState.Remove("Input.SignedBy");
        // A new password replaces the kept one; none typed keeps what step 1 sealed before.
        SealedPassword = string.IsNullOrEmpty(Input.Password) ? SealedPassword : Sealer.Protect(Input.Password, SealedFor);
        if (Derive() is null)
        {
            return Page();
        }

        Step = 2;
        Input.SignedBy ??= Input.GuardianName is { Length: > 0 } g ? g : Input.Name;
        ModelState.Clear();
        return Page();
    }

    public async Task<IActionResult> OnPostEnrollAsync()
    {
        if (SealedPassword is { Length: > 0 } sealedPassword)
        {
            try
            {
                Input.Password = Sealer.Unprotect(sealedPassword);
            }
            catch (CryptographicException)
            {
                // Expired (the page sat open too long) or altered: asked again, next to the field.
                SealedPassword = null;
                ModelState.AddModelError("Input.Password", "Enter the patient's password again.");
                return ShowErrors();
            }
        }

        var program = Derive();
        if (program is null)
        {
            return Page();
        }

        Step = 2;
        var req = BuildRequest(program);
        foreach (var (field, reasons) in PatientEndpoints.ValidateEnrollment(req, program, Now))
        {
            ModelState.AddModelError(Fields.GetValueOrDefault(field, string.Empty), string.Join(" ", reasons));
        }

        if (!ModelState.IsValid)
        {
            return ShowErrors();
        }

        var me = Me;
        var reply = await WriteAsync((db, audit, now) => PatientEndpoints.EnrollAsync(me, program, req, db, audit, now, Ct));
        if (!Accept(reply, Fields))
        {
            return ShowErrors();
        }

        return Redirect($"/office/patient/{((EnrollmentReply)reply.Body!).Patient.Id}?enrolled=1");
    }

    /// <summary>The step whose fields carry the errors: step 1 when any is on a field step 2 only hides.</summary>
    private IActionResult ShowErrors()
    {
        if (ModelState.Any(e => e.Key.Length > 0 && e.Value is { Errors.Count: > 0 } && !StepTwoFields.Contains(e.Key)))
        {
            Step = 1;
            ModelState.AddModelError(string.Empty, "Nothing was enrolled: correct the marked field, then go on to sign the agreement again.");
        }

        return Page();
    }

    /// <summary>Checks step 1 and derives the category with the REMS rule; null (with the reasons on the page) when it cannot.</summary>
    private ProgramRules? Derive()
    {
        if (!ModelState.IsValid)
        {
            return null;
        }

        var program = ProgramCatalog.Find(Input.Program);
        if (program is null)
        {
            ModelState.AddModelError("Input.Program", "Choose a program.");
            return null;
        }

        var today = ProgramTime.Today(Now, program.Zone);
        var dob = LocalDate.FromDateOnly(Input.DateOfBirth!.Value);
        if (dob > today || dob < today.PlusYears(-130))
        {
            ModelState.AddModelError("Input.DateOfBirth", "The date of birth must be in the past 130 years.");
            return null;
        }

        var result = RiskCategoryRules.Derive(PatientEndpoints.Facts(Input.Sex, dob, Answers()), program.Categories.Value, program.AdultAgeYears.Value, today);
        if (!result.Decision.IsAllowed)
        {
            Accept(Problems.Refused(result.Decision, "The category cannot be derived from these answers."));
            return null;
        }

        // Caught here, on the step that shows the password, rather than by the API after the signature.
        if (!string.IsNullOrWhiteSpace(Input.Username) && string.IsNullOrEmpty(Input.Password) && SealedPassword is null)
        {
            ModelState.AddModelError("Input.Password", "A patient password has at least 10 characters.");
            return null;
        }

        if (result.IsMinor && string.IsNullOrWhiteSpace(Input.GuardianName))
        {
            ModelState.AddModelError("Input.GuardianName", "A child is enrolled with a parent or guardian: enter their name.");
            return null;
        }

        Category = result.Category;
        AgreementText = AgreementTexts.For(program);
        return program;
    }

    private ReproductiveAnswers Answers() => Input.Sex == Sex.Female
        ? new(Input.Menses, Input.Menopause, Input.Hysterectomy, Input.Oophorectomy)
        : new(false, false, false, false);

    private EnrollPatientRequest BuildRequest(ProgramRules program) => new(
        Input.Name.Trim(), LocalDate.FromDateOnly(Input.DateOfBirth!.Value), Input.Sex, program.Id, Answers(), Input.MenstrualPattern,
        new AgreementRequest(Input.SignedBy ?? string.Empty, Input.SignerRole, program.AgreementTextVersion, Input.Accepted),
        GuardianName: string.IsNullOrWhiteSpace(Input.GuardianName) ? null : Input.GuardianName.Trim(),
        PatientLogin: string.IsNullOrWhiteSpace(Input.Username) ? null : new LoginCredentials(Input.Username.Trim(), Input.Password ?? string.Empty));

    public sealed class EnrollInput
    {
        [Required(ErrorMessage = "A name is required.")]
        public string Name { get; set; } = string.Empty;

        [Required(ErrorMessage = "The date of birth is required.")]
        public DateOnly? DateOfBirth { get; set; }

        public Sex Sex { get; set; } = Sex.Female;

        public string Program { get; set; } = "POM";

        public bool Menses { get; set; }

        public bool Menopause { get; set; }

        public bool Hysterectomy { get; set; }

        public bool Oophorectomy { get; set; }

        public MenstrualPattern MenstrualPattern { get; set; } = MenstrualPattern.Regular;

        public string? GuardianName { get; set; }

        public string? Username { get; set; }

        [MinLength(10, ErrorMessage = "A patient password has at least 10 characters.")]
        public string? Password { get; set; }

        public string? SignedBy { get; set; }

        public string SignerRole { get; set; } = "patient";

        public bool Accepted { get; set; }
    }
}
