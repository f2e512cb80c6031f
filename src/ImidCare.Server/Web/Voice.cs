using ImidCare.Server.Security;

namespace ImidCare.Server.Web;

/// <summary>
/// Who the companion speaks to. The patient reads "your medicine"; a caregiver reads the same page,
/// or reminder, about someone else ("John's medicine"), and is not offered what only the patient may do.
/// </summary>
public sealed record Voice(bool ToPatient, string FirstName)
{
    public static Voice For(Caller viewer, string patientId, string patientName) => Of(viewer.PatientId == patientId, patientName);

    public static Voice Of(bool toPatient, string patientName) =>
        new(toPatient, patientName.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var first, ..] ? first : patientName);

    /// <summary>"Your" or "John's", at the start of a sentence.</summary>
    public string Whose => ToPatient ? "Your" : $"{FirstName}'s";

    /// <summary>"your" or "John's", inside a sentence.</summary>
    public string WhoseLower => ToPatient ? "your" : $"{FirstName}'s";

    /// <summary>"You" or "John", as the subject at the start of a sentence.</summary>
    public string Who => ToPatient ? "You" : FirstName;

    /// <summary>"you" or "John", inside a sentence.</summary>
    public string WhoLower => ToPatient ? "you" : FirstName;

    /// <summary>"My" or "John's": a page's own title, as the patient keeps it ("My dose diary").</summary>
    public string My => ToPatient ? "My" : Whose;

    /// <summary>"my" or "John's", inside a sentence.</summary>
    public string MyLower => ToPatient ? "my" : Whose;

    /// <summary>"I" or "John", for a button the viewer presses about the patient's dose.</summary>
    public string Taker => ToPatient ? "I" : FirstName;
}
