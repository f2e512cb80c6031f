using System.Security.Claims;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;

namespace ImidCare.Server.Security;

/// <summary>
/// The authenticated caller and what it may act for. Identity comes only from the credential,
/// never from the request body: a pharmacy key acts as its pharmacy, a prescriber as themself.
/// </summary>
public sealed record Caller(
    string Id,
    string Role,
    string DisplayName,
    string? PrescriberId = null,
    string? PharmacyId = null,
    string? PatientId = null,
    string? PracticeId = null)
{
    public bool IsStaff => Role is Roles.Admin or Roles.Safety;

    public bool IsPharmacy => Role is Roles.Pharmacist or Roles.PharmacySystem && PharmacyId is not null;

    public bool IsPrescriberSide => Role is Roles.Prescriber or Roles.PrescriberOffice;

    public Actor AsActor(string? onBehalfOf = null) => new(Id, Role, onBehalfOf);

    public ClaimsPrincipal ToPrincipal(string scheme) => new CallerPrincipal(this, scheme);

    internal List<Claim> Claims()
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, Id), new(ClaimTypes.Role, Role), new(ClaimTypes.Name, DisplayName) };
        void Add(string type, string? value)
        {
            if (value is not null)
            {
                claims.Add(new Claim(type, value));
            }
        }

        Add("prescriber", PrescriberId);
        Add("pharmacy", PharmacyId);
        Add("patient", PatientId);
        Add("practice", PracticeId);
        return claims;
    }

    public static Caller? From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        if (user is CallerPrincipal known)
        {
            return known.Caller;
        }

        return new Caller(
            user.FindFirstValue(ClaimTypes.NameIdentifier)!,
            user.FindFirstValue(ClaimTypes.Role)!,
            user.FindFirstValue(ClaimTypes.Name) ?? string.Empty,
            user.FindFirstValue("prescriber"),
            user.FindFirstValue("pharmacy"),
            user.FindFirstValue("patient"),
            user.FindFirstValue("practice"));
    }
}

/// <summary>
/// The caller's claims, with the caller they were made from: a request reads its caller back
/// without parsing the claims again, and an organisation key's principal is built once per node
/// (<see cref="ApiKeyCallers"/>). A principal that came another way (the web's cookie) is parsed.
/// </summary>
public sealed class CallerPrincipal(Caller caller, string scheme) : ClaimsPrincipal(new ClaimsIdentity(caller.Claims(), scheme))
{
    public Caller Caller { get; } = caller;
}

public static class CallerExtensions
{
    public static Caller Caller(this HttpContext http) =>
        Security.Caller.From(http.User) ?? throw new InvalidOperationException("Endpoint reached without authentication.");
}
