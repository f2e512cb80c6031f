using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ImidCare.Server.Pages;

/// <summary>Where a refused page lands; answers 403 so the refusal is visible to machines too.</summary>
public sealed class DeniedModel : PageModel
{
    public void OnGet() => Response.StatusCode = StatusCodes.Status403Forbidden;
}
