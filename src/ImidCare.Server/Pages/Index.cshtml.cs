using ImidCare.Server.Security;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ImidCare.Server.Pages;

/// <summary>Sends each person to their start page.</summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => Redirect(Caller.From(User)?.Role switch
    {
        Roles.Prescriber => "/office",
        Roles.Pharmacist => "/pharmacy",
        Roles.Admin or Roles.Safety => "/admin",
        Roles.Patient or Roles.Caregiver => "/me",
        null => "/login",
        _ => "/learn",
    });
}
