using System.ComponentModel.DataAnnotations;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace ImidCare.Server.Pages;

/// <summary>Password login: the API's login (same lockout after 5 failures), its session kept in a cookie.</summary>
public sealed class LoginModel : WebPage
{
    [BindProperty]
    [Required(ErrorMessage = "Enter your username.")]
    public string Username { get; set; } = string.Empty;

    [BindProperty]
    [Required(ErrorMessage = "Enter your password.")]
    public string Password { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var reply = await SessionEndpoints.LoginAsync(new LoginRequest(Username.Trim(), Password), HttpContext.RequestServices.GetRequiredService<ImidCare.Store.WriteGate>(),
            HttpContext.RequestServices.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ImidCare.Store.ImidCareDb>>(), Ct);
        if (reply.Body is not SessionResponse session)
        {
            var problem = (ProblemDto)reply.Body!;
            ModelState.AddModelError(nameof(Password), problem.Detail is null ? problem.Title : $"{problem.Title} {problem.Detail}");
            return Page();
        }

        var caller = await WebSetup.CallerAsync(HttpContext.RequestServices, session.Token, Ct);
        // The cookie ends with the browser; the session's own expiry (checked on every request) ends it sooner.
        await HttpContext.SignInAsync(WebSetup.CookieScheme, WebSetup.Principal(caller!, session.Token), new AuthenticationProperties { IsPersistent = false });
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}
