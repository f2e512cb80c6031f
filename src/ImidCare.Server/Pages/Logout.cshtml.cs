using System.Security.Claims;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace ImidCare.Server.Pages;

/// <summary>Ends the session on the server (the API's logout) and drops the cookie.</summary>
public sealed class LogoutModel : WebPage
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (User.FindFirstValue(WebSetup.SessionClaim) is { } token)
        {
            await SessionEndpoints.EndAsync(HttpContext.RequestServices.GetRequiredService<ImidCare.Store.WriteGate>(), Me, token, Ct);
        }

        await HttpContext.SignOutAsync(WebSetup.CookieScheme);
        return Redirect("/login");
    }
}
