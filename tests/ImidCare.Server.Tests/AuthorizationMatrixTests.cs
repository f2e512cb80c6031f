using System.Net.Http.Json;
using System.Text;
using ImidCare.Rules.Rems;
using ImidCare.Server.Hosting;
using ImidCare.Server.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// Every endpoint × every identity → allowed or denied, generated from the route table: an endpoint
/// missing from <see cref="Rules"/> fails the test, so a new one cannot be forgotten. "Denied" is
/// 401/403 (interop also hides other practices' patients as 404); "allowed" is any other answer —
/// a 400, 404, 409 or 422 means the caller got past the door and the rules answered.
/// </summary>
public sealed class AuthorizationMatrixTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    // Identities. Patient routes target Maria (Dr. Park's patient); the caregivers target John, whom
    // Carla was granted and Casey was not; John stands for "another patient" towards Maria.
    private const string Anon = "anonymous", Maria = "maria", John = "john", Carla = "carla", Casey = "casey", Park = "park", Ode = "ode",
        Office = "office", Pharmacy = "pharmacy", OtherPharmacy = "otherPharmacy", Admin = "admin", Safety = "safety";

    private static readonly string[] Everyone = [Anon, Maria, John, Carla, Casey, Park, Ode, Office, Pharmacy, OtherPharmacy, Admin, Safety];
    private static readonly string[] Authenticated = [.. Everyone.Skip(1)];
    private static readonly string[] Staff = [Admin, Safety];
    private static readonly string[] SeesMaria = [Admin, Safety, Park, Office, Maria, Carla]; // Carla via John: her grant
    private static readonly string[] PrescriberSide = [Park, Office];
    private static readonly string[] People = [Maria, John, Carla, Casey, Park, Ode, Admin, Safety]; // signed-in persons, not organisation keys

    private static readonly string ConfirmationOfJohn = RemsNumber.Create('C', 100_000_001).Value;
    private static readonly string AuthorizationOfJohn = RemsNumber.Create('A', 100_000_001).Value;

    /// <summary>(method, route pattern) → who is allowed, and a body that passes binding.</summary>
    private static readonly Dictionary<(string Method, string Pattern), (string[] Allowed, object? Body)> Rules = new()
    {
        [("GET", "/health")] = (Everyone, null),
        [("GET", "/api/v1/ping")] = (Everyone, null),
        [("POST", "/api/v1/session")] = (Everyone, new { username = "admin", password = "demo-admin-2026" }),
        [("DELETE", "/api/v1/session")] = (Authenticated, null),
        [("GET", "/api/v1/me")] = (Authenticated, null),
        [("GET", "/api/v1/programs")] = (Authenticated, null),
        [("GET", "/api/v1/programs/{id}")] = (Authenticated, null),
        [("POST", "/api/v1/prescribers")] = ([Admin], new { npi = "1234567893", name = "Dr. Matrix", practiceId = "m" }),
        [("GET", "/api/v1/prescribers/{id}")] = ([Admin, Safety, Park, Office], null),
        [("POST", "/api/v1/prescribers/{id}/certifications")] = ([Admin, Park], new { program = "POM", trainingAttested = true, agreesToRequirements = true }),
        [("POST", "/api/v1/prescribers/{id}/certifications/{program}/{action:regex(^(suspend|revoke|reinstate)$)}")] = ([Admin], new { reason = "matrix" }),
        [("POST", "/api/v1/pharmacies")] = ([Admin], new { ncpdpId = "1234563", npi = "1234567893", name = "M", kind = "site", representative = new { name = "R", attests = true } }),
        [("GET", "/api/v1/pharmacies/{id}")] = ([Admin, Safety, Pharmacy], null),
        [("POST", "/api/v1/pharmacies/{id}/staff-training")] = ([Admin, Pharmacy], new { staffName = "S", program = "POM", completedOn = "2026-11-01" }),
        [("POST", "/api/v1/pharmacies/{id}/certifications")] = ([Admin], new { program = "POM" }),
        [("POST", "/api/v1/pharmacies/{id}/certifications/{program}/{action:regex(^(suspend|revoke|reinstate)$)}")] = ([Admin], new { reason = "matrix" }),
        [("POST", "/api/v1/patients")] = (PrescriberSide, new { name = "M", dateOfBirth = "1980-01-01", sex = "male", program = "THAL", prescriberId = "prs_demo_park",
            reproductive = new { mensesInLast24Months = false, naturalMenopauseAtLeast24Months = false, hysterectomy = false, bilateralOophorectomy = false },
            menstrualPattern = "none", agreement = new { signedBy = "M", signerRole = "patient", textVersion = "THAL-PPAF-2021-08", accepted = true } }),
        [("GET", "/api/v1/patients")] = (Authenticated, null),
        [("GET", "/api/v1/patients/{id}")] = (SeesMaria, null),

        // "reactivate" on an enrolled patient: past the door it is a 409, and the matrix changes no one's enrollment.
        [("POST", "/api/v1/patients/{id}/enrollment/{action:regex(^(deactivate|disenroll|reactivate)$)}")] = ([Admin, Park, Office], new { reason = "matrix" }),
        [("POST", "/api/v1/patients/{id}/category-reviews")] = (PrescriberSide, new { reproductive = new { mensesInLast24Months = true, naturalMenopauseAtLeast24Months = false, hysterectomy = false, bilateralOophorectomy = false }, reason = "matrix" }),
        [("GET", "/api/v1/patients/{id}/agreement")] = (SeesMaria, null),
        [("POST", "/api/v1/patients/{id}/pregnancy-tests")] = (PrescriberSide, new { specimenAt = "2026-11-17T12:00:00Z", result = "negative", sensitivityMiuPerMl = 25, setting = "lab", verifiedBy = "Dr. Park" }),
        [("GET", "/api/v1/patients/{id}/pregnancy-tests")] = (SeesMaria, null),
        [("POST", "/api/v1/patients/{id}/surveys")] = ([Maria], Scenario.Survey()),
        [("POST", "/api/v1/patients/{id}/holds/{holdId}/clear")] = ([Admin, Safety, Park, Office], new { counselingAttested = false, note = "matrix" }),
        [("POST", "/api/v1/authorizations")] = (PrescriberSide, new { patientId = "pat_demo_maria", drug = "pomalidomide", daysSupply = 28, refills = 0, counselingAttested = true }),
        [("GET", "/api/v1/authorizations/{number}")] = ([Admin, Safety, Park, Office, John, Carla, Pharmacy, OtherPharmacy], null),
        [("POST", "/api/v1/authorizations/{number}/confirmations")] = ([Pharmacy, OtherPharmacy], null),
        [("POST", "/api/v1/authorizations/{number}/dispense")] = ([Pharmacy, OtherPharmacy], new { ndc = "59572-0410-28", quantity = 21, daysSupply = 28, checklist = Scenario.FullChecklist }),
        [("POST", "/api/v1/confirmations/{number}/counseling")] = ([Pharmacy], Scenario.FullChecklist),
        [("POST", "/api/v1/confirmations/{number}/dispense")] = ([Pharmacy], new { ndc = "59572-0410-28", quantity = 21, daysSupply = 28, checklist = Scenario.FullChecklist }),
        [("POST", "/api/v1/confirmations/{number}/reverse")] = ([Pharmacy], new { reason = "matrix" }),
        [("POST", "/api/v1/patients/{id}/pregnancy-reports")] = (SeesMaria, new { partnerPregnancy = false, medWatch = new { eventDescription = "m", outcomes = Array.Empty<string>(), suspectProduct = "p", reporterName = "r", reporterOccupation = "o" } }),
        [("POST", "/api/v1/adverse-events")] = (SeesMaria, new { patientId = "{patient}", serious = false, medWatch = new { eventDescription = "m", outcomes = Array.Empty<string>(), suspectProduct = "p", reporterName = "r", reporterOccupation = "o" } }),
        [("GET", "/api/v1/cases")] = (Staff, null),
        [("POST", "/api/v1/cases/{id}/status")] = (Staff, new { status = "under-review", reason = "matrix" }),
        [("GET", "/api/v1/audit")] = (Staff, null),
        [("GET", "/api/v1/audit/verify")] = (Staff, null),
        [("GET", "/api/v1/compliance")] = (Staff, null),
        [("POST", "/api/v1/outages")] = ([Admin], new { from = "2026-11-16T00:00:00Z", to = "2026-11-16T01:00:00Z", reason = "matrix" }),
        [("GET", "/api/v1/outages")] = (Authenticated, null),
        [("GET", "/api/v1/therapy/regimens")] = (Authenticated, null),
        [("POST", "/api/v1/therapy/calendar")] = (Authenticated, new { plan = new { regimenId = "pom-mm-pd", start = "2026-11-02", ageYears = 60 }, through = "2026-11-05" }),
        [("POST", "/api/v1/therapy/dose-check")] = (Authenticated, new { drug = "pomalidomide", indication = "multipleMyeloma", currentDoseMg = 4, anc = 450, platelets = (int?)null }),
        [("POST", "/api/v1/therapy/adverse-event-check")] = (Authenticated, new { drug = "pomalidomide", indication = "multipleMyeloma", currentDoseMg = 4, @event = "rash", grade = 3 }),
        [("POST", "/api/v1/therapy/starting-dose")] = (Authenticated, new { regimenId = "pom-mm-pd" }),
        [("POST", "/api/v1/therapy/missed-dose")] = (Authenticated, new { drug = "pomalidomide", usualDoseTime = "08:00", timeZone = "America/New_York" }),
        [("POST", "/api/v1/therapy/interactions")] = (Authenticated, new { drug = "pomalidomide", medications = new[] { "ciprofloxacin" } }),
        [("POST", "/api/v1/therapy/triage")] = (Authenticated, new { drug = "pomalidomide", text = "fever" }),
        [("POST", "/api/v1/therapy/eligibility")] = (Authenticated, new { ageYears = 70, priorTherapies = 2, priorLenalidomide = true, priorProteasomeInhibitor = true, progressedOnLastTherapy = true, lastTherapyCompleted = (string?)null, progressionDate = (string?)null }),
        [("POST", "/api/v1/therapy/response")] = (Authenticated, new { baseline = new { date = "2026-01-01", serumMProteinGdL = 3.0 }, assessments = new[] { new { date = "2026-02-01", serumMProteinGdL = 1.0 } } }),
        [("PUT", "/api/v1/patients/{id}/plan")] = (PrescriberSide, new { regimenId = "pom-mm-pd", start = "2026-11-02", usualDoseTime = "08:00", timeZone = "America/New_York" }),
        [("GET", "/api/v1/patients/{id}/plan")] = (SeesMaria, null),
        [("GET", "/api/v1/patients/{id}/today")] = (SeesMaria, null),
        [("GET", "/api/v1/patients/{id}/calendar")] = (SeesMaria, null),
        [("POST", "/api/v1/patients/{id}/calendar-feed")] = (SeesMaria, null),
        [("GET", "/api/v1/feeds/{token}.ics")] = (Everyone, null), // the secret address is the credential: a wrong one is 404 for everybody
        // Whoever may see the patient lists (the patient all feeds, anyone else their own) and may try to end one: an unknown feed is 404 past the door.
        [("GET", "/api/v1/patients/{id}/calendar-feeds")] = (SeesMaria, null),
        [("DELETE", "/api/v1/patients/{id}/calendar-feeds/{feedId}")] = (SeesMaria, null),
        [("GET", "/api/v1/patients/{id}/monitoring")] = (SeesMaria, null),
        [("POST", "/api/v1/patients/{id}/doses")] = ([Maria, Carla], new { date = "2026-11-10", status = "taken", capsules = 1 }),
        [("GET", "/api/v1/patients/{id}/doses")] = (SeesMaria, null),
        [("POST", "/api/v1/patients/{id}/labs")] = (PrescriberSide, new { takenOn = "2026-11-10", anc = 1500, platelets = 150000 }),
        [("GET", "/api/v1/patients/{id}/labs")] = (SeesMaria, null),
        [("POST", "/api/v1/patients/{id}/myeloma-assessments")] = (PrescriberSide, new { date = "2026-11-10", serumMProteinGdL = 1.2 }),
        [("GET", "/api/v1/patients/{id}/response")] = (SeesMaria, null),
        [("POST", "/api/v1/patients/{id}/caregivers")] = ([Maria], new { username = "casey" }),
        [("GET", "/api/v1/patients/{id}/caregivers")] = ([Maria, Admin, Safety], null),
        [("DELETE", "/api/v1/patients/{id}/caregivers/{grantId}")] = ([Maria], null),
        [("GET", "/api/v1/me/reminders")] = (People, null),
        [("POST", "/api/v1/me/reminders/{id}/read")] = (People, null), // someone else's (or no) reminder is a 404, past the door
        [("PUT", "/api/v1/me/email")] = (People, new { email = "matrix@example.org", emailReminders = false }),
    };

    /// <summary>Interop and documentation routes: classified here (so none is forgotten), exercised by the interop tests.</summary>
    private static readonly Dictionary<string, string> ClassifiedElsewhere = new()
    {
        ["/openapi/{documentName}.json"] = "public API description",
        ["/cds-services"] = "public discovery (CDS Hooks 2.0)",
        ["/fhir/metadata"] = "public CapabilityStatement",
        ["/4_0_0/metadata"] = "public CapabilityStatement",
        ["/cds-services/"] = "public discovery (CDS Hooks 2.0)",
        ["/fhir/{**rest}"] = "catch-all: 404 OperationOutcome for everyone",
        ["/4_0_0/{**rest}"] = "catch-all: 404 OperationOutcome for everyone",
    };

    private static bool IsInterop(string pattern) => pattern.StartsWith("/fhir", StringComparison.Ordinal) || pattern.StartsWith("/4_0_0", StringComparison.Ordinal)
        || pattern.StartsWith("/cds-services", StringComparison.Ordinal) || pattern.StartsWith("/ncpdp", StringComparison.Ordinal);

    private async Task<Dictionary<string, HttpClient>> ClientsAsync()
    {
        using var admin = await app.AdminAsync();
        var other = await admin.PostAsync("/api/v1/pharmacies", new
        {
            ncpdpId = NcpdpId.FromSixDigits("654321").Value, npi = "1234567893", name = "Other Pharmacy", kind = "site", representative = new { name = "Rep", attests = true },
        });
        return new()
        {
            [Anon] = app.Client(),
            [Maria] = await app.LoginAsync("maria", "demo-maria-2026"),
            [John] = await app.LoginAsync("john", "demo-john-2026"),
            [Carla] = await app.LoginAsync("carla", "demo-carla-2026"),
            [Casey] = await app.LoginAsync("casey", "demo-casey-2026"),
            [Park] = await app.ParkAsync(),
            [Ode] = await app.LoginAsync("dr.ode", "demo-ode-2026"),
            [Office] = app.Client(apiKey: DemoSeed.OfficeKey),
            [Pharmacy] = app.Pharmacy(),
            [OtherPharmacy] = app.Client(apiKey: other.Str("apiKey")),
            [Admin] = await app.AdminAsync(),
            [Safety] = await app.LoginAsync("safety", "demo-safety-2026"),
        };
    }

    private static string Url(string pattern, string who)
    {
        var patient = who is Carla or Casey ? "pat_demo_john" : pattern.Contains("/holds/", StringComparison.Ordinal) ? "pat_demo_rosa" : "pat_demo_maria";
        return pattern
            .Replace("/patients/{id}", $"/patients/{patient}", StringComparison.Ordinal)
            .Replace("/prescribers/{id}", "/prescribers/prs_demo_park", StringComparison.Ordinal)
            .Replace("/cases/{id}", "/cases/case_demo_john_rash", StringComparison.Ordinal)
            .Replace("/pharmacies/{id}", "/pharmacies/phy_demo_main", StringComparison.Ordinal)
            .Replace("/programs/{id}", "/programs/POM", StringComparison.Ordinal)
            .Replace("/authorizations/{number}", $"/authorizations/{AuthorizationOfJohn}", StringComparison.Ordinal)
            .Replace("/confirmations/{number}", $"/confirmations/{ConfirmationOfJohn}", StringComparison.Ordinal)
            .Replace("{program}", "POM", StringComparison.Ordinal)
            .Replace("{action:regex(^(suspend|revoke|reinstate)$)}", "suspend", StringComparison.Ordinal)
            .Replace("{action:regex(^(deactivate|disenroll|reactivate)$)}", "reactivate", StringComparison.Ordinal)
            .Replace("{holdId}", "hold_demo_rosa", StringComparison.Ordinal)
            .Replace("{grantId}", "grant_demo_carla", StringComparison.Ordinal)
            .Replace("{token}", "no-such-feed", StringComparison.Ordinal)
            .Replace("{feedId}", "feed_no_such_feed", StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryEndpoint_EveryIdentity_AllowedOrDeniedAsDeclared()
    {
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Distinct().ToList();

        var unclassified = endpoints.Where(e => !Rules.ContainsKey(e) && !IsInterop(e.Pattern) && !ClassifiedElsewhere.ContainsKey(e.Pattern) && !e.Pattern.StartsWith("/api/", StringComparison.Ordinal) == false).ToList();
        unclassified.ShouldBeEmpty("Every API endpoint needs a row in the authorization matrix: " + string.Join(", ", unclassified));
        var unknownApi = endpoints.Where(e => e.Pattern.StartsWith("/api/", StringComparison.Ordinal) && !Rules.ContainsKey(e)).ToList();
        unknownApi.ShouldBeEmpty();

        var clients = await ClientsAsync();
        var wrong = new List<string>();

        // Read-only routes first, then writes (a write by an allowed caller may change what later rows see, never who may see it).
        // Logging out comes last: it ends the sessions the other rows are made with.
        foreach (var ((method, pattern), (allowed, body)) in Rules.OrderBy(r => r.Key == ("DELETE", "/api/v1/session") ? 2 : r.Key.Method == "GET" ? 0 : 1))
        {
            foreach (var who in Everyone.OrderBy(w => allowed.Contains(w) ? 1 : 0))
            {
                var json = body is null ? null : System.Text.Json.JsonSerializer.Serialize(body).Replace("{patient}", who is Carla or Casey ? "pat_demo_john" : "pat_demo_maria", StringComparison.Ordinal);
                using var req = new HttpRequestMessage(new HttpMethod(method), Url(pattern, who))
                {
                    Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"),
                };
                using var r = await clients[who].SendAsync(req, TestContext.Current.CancellationToken);
                var code = (int)r.StatusCode;
                var denied = code is 401 or 403;
                if (allowed.Contains(who) == denied || code >= 500)
                {
                    wrong.Add($"{method} {pattern} as {who}: {code} (expected {(allowed.Contains(who) ? "allowed" : "denied")})");
                }
            }
        }

        // Interop: every non-public route refuses an anonymous caller; NCPDP refuses anyone but a pharmacy.
        foreach (var (method, pattern) in endpoints.Where(e => IsInterop(e.Pattern) && !ClassifiedElsewhere.ContainsKey(e.Pattern)))
        {
            var url = pattern.Replace("{type}", "Patient", StringComparison.Ordinal).Replace("/cds-services/{id}", "/cds-services/rems-order-sign", StringComparison.Ordinal)
                .Replace("{id}", "pat_demo_maria", StringComparison.Ordinal);
            using var req = new HttpRequestMessage(new HttpMethod(method), url) { Content = method == "GET" ? null : new StringContent("{}", Encoding.UTF8, "application/json") };
            using var r = await clients[Anon].SendAsync(req, TestContext.Current.CancellationToken);
            if ((int)r.StatusCode != 401 && !(pattern.Contains("Questionnaire", StringComparison.Ordinal) && method == "GET"))
            {
                wrong.Add($"{method} {pattern} as anonymous: {(int)r.StatusCode} (expected 401)");
            }
        }

        var message = Interop.Peer.Fixture("REMSRequest.pims.xml");
        foreach (var who in new[] { Anon, Office, Park, Admin, Maria, Carla })
        {
            using var r = await clients[who].PostAsync("/ncpdp/script", new StringContent(message, Encoding.UTF8, "application/xml"), TestContext.Current.CancellationToken);
            if ((int)r.StatusCode is not (401 or 403))
            {
                wrong.Add($"POST /ncpdp/script as {who}: {(int)r.StatusCode} (expected denied)");
            }
        }

        using (var r = await clients[Pharmacy].PostAsync("/ncpdp/script", new StringContent(message, Encoding.UTF8, "application/xml"), TestContext.Current.CancellationToken))
        {
            if ((int)r.StatusCode is 401 or 403)
            {
                wrong.Add($"POST /ncpdp/script as pharmacy: {(int)r.StatusCode} (expected allowed)");
            }
        }

        wrong.ShouldBeEmpty(string.Join("\n", wrong));
        foreach (var c in clients.Values)
        {
            c.Dispose();
        }
    }
    // ---- Pages ---------------------------------------------------------------------------------
    // The same identities, as browsers: a login cookie from the login page. "Another pharmacy" is a
    // pharmacist of a second certified pharmacy. A page's patient is Maria, except for the
    // caregivers, whose patient is John (Carla holds his grant, Casey does not), so each row
    // asks "may this person see this patient's page", the API's own question.
    private const string Pharmacist = "pharmacist", OtherPharmacist = "otherPharmacist";

    private static readonly string[] WebEveryone = [Anon, Maria, John, Carla, Casey, Park, Ode, Pharmacist, OtherPharmacist, Admin, Safety];
    private static readonly string[] Prescribers = [Park, Ode];
    private static readonly string[] Pharmacists = [Pharmacist, OtherPharmacist];
    private static readonly string[] PatientAndGrantedCaregiver = [Maria, Carla];

    /// <summary>
    /// Page route → who may open it. Every Razor page endpoint in the route table must be here: a new
    /// page without a row fails the test. GET is asked with the patient in the address; POST without
    /// an antiforgery token must be refused at the door for everyone not allowed (an allowed caller
    /// gets past it and is stopped by antiforgery, 400).
    /// </summary>
    private static readonly Dictionary<string, string[]> PageRules = new()
    {
        ["/"] = WebEveryone, // answers with a redirect to the caller's start page (checked below)
        ["/login"] = WebEveryone,
        ["/logout"] = WebEveryone,
        ["/inbox"] = [.. WebEveryone.Where(who => who != Anon)], // everyone's own reminders; anonymous goes to the login
        ["/learn"] = WebEveryone,
        ["/learn/caregivers"] = WebEveryone,
        ["/learn/drug/{id}"] = WebEveryone,
        ["/learn/resources"] = WebEveryone,
        ["/learn/symptoms"] = WebEveryone,
        ["/learn/tips"] = WebEveryone,
        ["/learn/wallet-card"] = WebEveryone,
        ["/office"] = Prescribers,
        ["/office/Index"] = Prescribers,
        ["/office/Enroll"] = Prescribers,
        ["/office/certification"] = Prescribers,
        ["/office/patient/{id}"] = [Park],
        ["/office/therapy/{id}"] = [Park],
        ["/office/agreement/{id}"] = [Park],
        ["/office/category/{id}"] = [Park],
        ["/pharmacy"] = Pharmacists,
        ["/admin"] = Staff,
        ["/admin/Index"] = Staff,
        ["/admin/Audit"] = Staff,
        ["/admin/Cases"] = Staff,
        ["/admin/Certifications"] = Staff,
        ["/admin/Holds"] = Staff,
        ["/admin/Enrollments"] = Staff,
        ["/me"] = PatientAndGrantedCaregiver,
        ["/me/Index"] = PatientAndGrantedCaregiver,
        ["/me/Calendar"] = PatientAndGrantedCaregiver,
        ["/me/Charts"] = PatientAndGrantedCaregiver,
        ["/me/VisitSummary"] = PatientAndGrantedCaregiver,
        // The survey and caregiver access are the signed-in patient's own (the address names no one):
        // John opens his own; caregivers never take the survey for the patient nor grant access.
        ["/me/Survey"] = [Maria, John],
        ["/me/Caregivers"] = [Maria, John],
        // Reports: whoever the API lets report for the patient (a pharmacy cannot see the patient).
        ["/report/pregnancy"] = [Maria, Carla, Park, Admin, Safety],
        ["/report/adverse-event"] = [Maria, Carla, Park, Admin, Safety],
    };

    /// <summary>The refusal page answers 403 to everyone by design.</summary>
    private const string DeniedPage = "/denied";

    private static string PageUrl(string route, string who)
    {
        var patient = who is Carla or Casey ? "pat_demo_john" : "pat_demo_maria";
        var url = route.Replace("/learn/drug/{id}", "/learn/drug/pomalidomide", StringComparison.Ordinal).Replace("{id}", patient, StringComparison.Ordinal);
        return route.StartsWith("/me", StringComparison.Ordinal) || route.StartsWith("/report", StringComparison.Ordinal) ? $"{url}?patient={patient}" : url;
    }

    private static bool Refused(HttpResponseMessage r) =>
        (int)r.StatusCode is 401 or 403
        || ((int)r.StatusCode == 302 && r.Headers.Location?.ToString() is { } l && (l.Contains("/login", StringComparison.OrdinalIgnoreCase) || l.Contains("/denied", StringComparison.OrdinalIgnoreCase)));

    [Fact]
    public async Task EveryPage_EveryIdentity_AllowedOrDeniedAsDeclared()
    {
        var pages = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Mvc.RazorPages.PageActionDescriptor>() is not null)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/')).Distinct().ToList();
        pages.Count.ShouldBeGreaterThan(20);
        var unclassified = pages.Where(p => p != DeniedPage && !PageRules.Keys.Any(k => string.Equals(k, p, StringComparison.OrdinalIgnoreCase))).ToList();
        unclassified.ShouldBeEmpty("Every page needs a row in the page authorization matrix: " + string.Join(", ", unclassified));

        using (var admin = await app.AdminAsync())
        {
            await admin.PostAsync("/api/v1/pharmacies", new
            {
                ncpdpId = NcpdpId.FromSixDigits("765432").Value, npi = "1234567893", name = "Second Pharmacy", kind = "site", representative = new { name = "Rep", attests = true },
            });
        }

        await using (var db = await app.DbAsync())
        {
            var other = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(db.Pharmacies, p => p.Name == "Second Pharmacy", TestContext.Current.CancellationToken);
            db.Users.Add(new ImidCare.Store.Entities.UserAccount
            {
                Id = "usr_matrix_other_pharmacist", Username = "other.pharmacist", PasswordHash = ImidCare.Server.Rems.SessionEndpoints.HashPassword("other-pharm-2026"),
                Role = ImidCare.Store.Entities.Roles.Pharmacist, DisplayName = "Other Pharmacist", PharmacyId = other.Id, CreatedAt = app.Clock.Now,
            });
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        var clients = new Dictionary<string, HttpClient>
        {
            [Anon] = app.WebClient(),
            [Maria] = await app.WebLoginAsync("maria", "demo-maria-2026"),
            [John] = await app.WebLoginAsync("john", "demo-john-2026"),
            [Carla] = await app.WebLoginAsync("carla", "demo-carla-2026"),
            [Casey] = await app.WebLoginAsync("casey", "demo-casey-2026"),
            [Park] = await app.WebLoginAsync("dr.park", "demo-park-2026"),
            [Ode] = await app.WebLoginAsync("dr.ode", "demo-ode-2026"),
            [Pharmacist] = await app.WebLoginAsync("pharmacist", "demo-pharm-2026"),
            [OtherPharmacist] = await app.WebLoginAsync("other.pharmacist", "other-pharm-2026"),
            [Admin] = await app.WebLoginAsync("admin", "demo-admin-2026"),
            [Safety] = await app.WebLoginAsync("safety", "demo-safety-2026"),
        };

        var wrong = new List<string>();
        foreach (var (route, allowed) in PageRules.Where(r => r.Key != "/logout"))
        {
            foreach (var who in WebEveryone)
            {
                var url = PageUrl(route, who);
                if (route == "/")
                {
                    using var home = await clients[who].GetAsync(url, TestContext.Current.CancellationToken);
                    var expected = who switch { Anon => "/login", Park or Ode => "/office", Pharmacist or OtherPharmacist => "/pharmacy", Admin or Safety => "/admin", _ => "/me" };
                    if ((int)home.StatusCode != 302 || home.Headers.Location?.ToString() != expected)
                    {
                        wrong.Add($"GET / as {who}: {(int)home.StatusCode} {home.Headers.Location} (expected a redirect to {expected})");
                    }

                    continue;
                }

                using (var r = await clients[who].GetAsync(url, TestContext.Current.CancellationToken))
                {
                    var denied = Refused(r);
                    if (allowed.Contains(who) == denied || (int)r.StatusCode >= 500 || (!denied && (int)r.StatusCode != 200))
                    {
                        wrong.Add($"GET {url} as {who}: {(int)r.StatusCode} {r.Headers.Location} (expected {(allowed.Contains(who) ? "200" : "denied")})");
                    }
                }

                // Public pages take posts from anyone (login, logout); the rest must refuse a post at the door.
                if (allowed.Length == WebEveryone.Length)
                {
                    continue;
                }

                using var post = await clients[who].PostAsync(url, new FormUrlEncodedContent([]), TestContext.Current.CancellationToken);
                var postDenied = Refused(post);
                var doorOnly = route.Contains("{id}", StringComparison.Ordinal) || route.StartsWith("/me", StringComparison.Ordinal) || route.StartsWith("/report", StringComparison.Ordinal);
                // A caller who passes the role door but not the patient check gets antiforgery's 400 before the page's own check: the GET above proves the page check.
                var expectDenied = !allowed.Contains(who) && !(doorOnly && RoleMayEnter(route, who));
                if (expectDenied != postDenied || (int)post.StatusCode >= 500)
                {
                    wrong.Add($"POST {url} as {who}: {(int)post.StatusCode} {post.Headers.Location} (expected {(expectDenied ? "denied" : "past the door")})");
                }
            }
        }

        using (var r = await clients[Maria].GetAsync(DeniedPage, TestContext.Current.CancellationToken))
        {
            ((int)r.StatusCode).ShouldBe(403);
        }

        wrong.ShouldBeEmpty(string.Join("\n", wrong));
        foreach (var c in clients.Values)
        {
            c.Dispose();
        }
    }

    /// <summary>The folder's role door (WebSetup's policies), without the per-patient check.</summary>
    private static bool RoleMayEnter(string route, string who) => route switch
    {
        _ when route.StartsWith("/office", StringComparison.Ordinal) => who is Park or Ode,
        _ when route.StartsWith("/me", StringComparison.Ordinal) => who is Maria or John or Carla or Casey,
        _ when route.StartsWith("/report", StringComparison.Ordinal) => who is Maria or John or Carla or Casey or Park or Ode or Admin or Safety,
        _ => false,
    };
}
