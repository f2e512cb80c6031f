using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>Each actor sees and acts only for itself.</summary>
public abstract class AccessTests(ImidCareApp app)
{
    [Theory]
    [InlineData("GET", "/api/v1/patients")]
    [InlineData("GET", "/api/v1/patients/pat_demo_maria")]
    [InlineData("POST", "/api/v1/authorizations")]
    [InlineData("GET", "/api/v1/audit/verify")]
    public async Task Anonymous_Is401(string method, string url)
    {
        using var anon = app.Client();
        var r = method == "GET" ? await anon.GetJsonAsync(url) : await anon.PostRawAsync(url, "{}");
        r.Code.ShouldBe(401, r.ToString());
    }

    [Fact]
    public async Task BadPassword_LocksAfterFiveFailures()
    {
        using var admin = await app.AdminAsync();
        var user = "lock" + Random.Shared.Next(1000, 9999);
        (await admin.PostAsync("/api/v1/prescribers", new { npi = Rules.Rems.Npi.FromNineDigits("1" + Random.Shared.Next(10_000_000, 99_999_999)).Value, name = "Dr Lock", practiceId = "lock", login = new { username = user, password = "correct-horse-1" } })).Code.ShouldBe(201);
        using var anon = app.Client();
        for (var i = 0; i < 5; i++)
        {
            (await anon.PostAsync("/api/v1/session", new { username = user, password = "wrong" })).Code.ShouldBe(401);
        }

        (await anon.PostAsync("/api/v1/session", new { username = user, password = "correct-horse-1" })).Code.ShouldBe(423);
    }

    [Fact]
    public async Task OtherPractice_CannotSeeOrAuthorizePatient()
    {
        using var ode = await app.LoginAsync("dr.ode", "demo-ode-2026");
        (await ode.GetJsonAsync("/api/v1/patients/pat_demo_maria")).Code.ShouldBe(403);
        (await Scenario.AuthorizeAsync(ode, "pat_demo_maria")).Code.ShouldBe(403);
        var list = await ode.GetJsonAsync("/api/v1/patients");
        list.Raw.ShouldNotContain("pat_demo_maria");
        list.Raw.ShouldContain("pat_demo_omar");
    }

    [Fact]
    public async Task OfficeKey_ActsForItsPracticeOnly()
    {
        using var office = app.Client(apiKey: Hosting.DemoSeed.OfficeKey);
        (await office.GetJsonAsync("/api/v1/patients/pat_demo_grace")).Code.ShouldBe(200);
        (await office.GetJsonAsync("/api/v1/patients/pat_demo_omar")).Code.ShouldBe(403);
    }

    [Fact]
    public async Task Patient_SeesOnlySelf_AndCannotAuthorize()
    {
        using var maria = await app.LoginAsync("maria", "demo-maria-2026");
        (await maria.GetJsonAsync("/api/v1/patients/pat_demo_maria")).Code.ShouldBe(200);
        (await maria.GetJsonAsync("/api/v1/patients/pat_demo_john")).Code.ShouldBe(403);
        (await Scenario.AuthorizeAsync(maria, "pat_demo_maria")).Code.ShouldBe(403);
        (await maria.PostAsync("/api/v1/patients/pat_demo_john/surveys", Scenario.Survey())).Code.ShouldBe(403);
    }

    [Fact]
    public async Task Pharmacy_CannotDispenseAnotherPharmacysConfirmation_NorSeePatients()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var main = app.Pharmacy();
        var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Owned Conf"));
        var c = (await main.PostAsync($"/api/v1/authorizations/{a}/confirmations")).Str("number");

        using var pharmacist = await app.LoginAsync("pharmacist", "demo-pharm-2026"); // same pharmacy as the key
        using var admin = await app.AdminAsync();
        var other = await admin.PostAsync("/api/v1/pharmacies", new
        {
            ncpdpId = Rules.Rems.NcpdpId.FromSixDigits(Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture)).Value,
            npi = "1234567893", name = "Other", kind = "site", representative = new { name = "Rep", attests = true },
        });
        using var otherKey = app.Client(apiKey: other.Str("apiKey"));
        (await Scenario.DispenseAsync(otherKey, c)).Code.ShouldBe(403);
        (await otherKey.PostAsync($"/api/v1/confirmations/{c}/reverse", new { reason = "x" })).Code.ShouldBe(403);
        (await otherKey.GetJsonAsync("/api/v1/patients/pat_demo_maria")).Code.ShouldBe(403);
        (await Scenario.DispenseAsync(pharmacist, c)).Code.ShouldBe(201);
    }

    /// <summary>
    /// A calendar feed is a secret address anyone holding it can read, with no owner: a caregiver who
    /// made one (or was given the patient's) kept reading the patient's dose days and tests through it
    /// after the patient revoked their access. Revoking a caregiver ends the patient's feeds.
    /// </summary>
    [Fact]
    public async Task RevokedCaregiver_LosesTheCalendarFeed()
    {
        using var john = await app.LoginAsync("john", "demo-john-2026");
        using var casey = await app.LoginAsync("casey", "demo-casey-2026");
        var grant = await john.PostAsync("/api/v1/patients/pat_demo_john/caregivers", new { username = "casey" });
        grant.Code.ShouldBeOneOf(200, 201);
        var feed = await casey.PostAsync("/api/v1/patients/pat_demo_john/calendar-feed");
        feed.Code.ShouldBe(201, feed.ToString());
        var path = new Uri(feed.Str("url")).PathAndQuery;
        using var anon = app.Client();
        using (var before = await anon.GetAsync(path, TestContext.Current.CancellationToken))
        {
            ((int)before.StatusCode).ShouldBe(200);
        }

        using var revoke = await john.DeleteAsync($"/api/v1/patients/pat_demo_john/caregivers/{grant.Str("grantId")}", TestContext.Current.CancellationToken);
        ((int)revoke.StatusCode).ShouldBe(200);
        (await casey.GetJsonAsync("/api/v1/patients/pat_demo_john/calendar")).Code.ShouldBe(403);
        using var after = await anon.GetAsync(path, TestContext.Current.CancellationToken);
        ((int)after.StatusCode).ShouldBe(404, "the revoked caregiver's feed still serves the patient's calendar");
        (await FeedsAsync(john)).Values.All(f => f.TryGetProperty("revokedAt", out _)).ShouldBeTrue("a revocation ends every feed of the patient, whoever made it");
    }

    /// <summary>
    /// A feed has a maker and can be ended on its own: the patient ends any of theirs, a caregiver
    /// (or prescriber) only one they made, and the ended address answers 404 at once. Ending it
    /// again answers when it ended; the audit trail names the feed by its public id, never the token.
    /// </summary>
    [Fact]
    public async Task CalendarFeed_ThePatientEndsAny_AMakerOnlyTheirOwn_AndTheAddressIs404AtOnce()
    {
        using var john = await app.LoginAsync("john", "demo-john-2026");
        using var carla = await app.LoginAsync("carla", "demo-carla-2026");
        using var park = await app.ParkAsync();
        using var anon = app.Client();
        var (carlas, carlasPath) = await MakeFeedAsync(carla);
        var (johns, johnsPath) = await MakeFeedAsync(john);
        var (parks, parksPath) = await MakeFeedAsync(park);

        // Carla made none of the patient's own nor the prescriber's: refused, and they keep serving.
        (await carla.DeleteJsonAsync($"/api/v1/patients/pat_demo_john/calendar-feeds/{johns}")).Code.ShouldBe(403);
        (await carla.DeleteJsonAsync($"/api/v1/patients/pat_demo_john/calendar-feeds/{parks}")).Code.ShouldBe(403);
        (await park.DeleteJsonAsync($"/api/v1/patients/pat_demo_john/calendar-feeds/{carlas}")).Code.ShouldBe(403);
        (await StatusAsync(anon, johnsPath)).ShouldBe(200);
        (await StatusAsync(anon, parksPath)).ShouldBe(200);

        // Her own she ends; the address is dead on the next request; ending it again changes nothing.
        var ended = await carla.DeleteJsonAsync($"/api/v1/patients/pat_demo_john/calendar-feeds/{carlas}");
        ended.Code.ShouldBe(200, ended.ToString());
        ended.Str("id").ShouldBe(carlas);
        var revokedAt = ended.Str("revokedAt");
        (await StatusAsync(anon, carlasPath)).ShouldBe(404);
        app.Clock.Now += NodaTime.Duration.FromMinutes(5);
        var again = await carla.DeleteJsonAsync($"/api/v1/patients/pat_demo_john/calendar-feeds/{carlas}");
        app.Clock.Now -= NodaTime.Duration.FromMinutes(5);
        again.Code.ShouldBe(200, again.ToString());
        again.Str("revokedAt").ShouldBe(revokedAt);

        // The patient ends anyone's: the prescriber's as well as their own.
        (await john.DeleteJsonAsync($"/api/v1/patients/pat_demo_john/calendar-feeds/{parks}")).Code.ShouldBe(200);
        (await john.DeleteJsonAsync($"/api/v1/patients/pat_demo_john/calendar-feeds/{johns}")).Code.ShouldBe(200);
        (await StatusAsync(anon, parksPath)).ShouldBe(404);
        (await StatusAsync(anon, johnsPath)).ShouldBe(404);
        (await john.DeleteJsonAsync("/api/v1/patients/pat_demo_john/calendar-feeds/feed_nosuchfeed00")).Code.ShouldBe(404);

        using var admin = await app.AdminAsync();
        var trail = (await admin.GetJsonAsync("/api/v1/audit?subject=patient/pat_demo_john&action=calendar-feed.revoked&take=1000")).Body.EnumerateArray()
            .Where(a => a.GetProperty("data").GetProperty("id").GetString() is { } id && (id == carlas || id == parks || id == johns)).ToList();
        trail.Select(a => (a.GetProperty("data").GetProperty("id").GetString(), a.GetProperty("actor").GetString()))
            .ShouldBe([(carlas, "usr_demo_carla"), (parks, "usr_demo_john"), (johns, "usr_demo_john")]); // one record each: the second end of Carla's wrote none
        foreach (var path in new[] { carlasPath, parksPath, johnsPath })
        {
            var token = path[(path.LastIndexOf('/') + 1)..^".ics".Length];
            trail.Any(a => a.GetRawText().Contains(token, StringComparison.Ordinal)).ShouldBeFalse();
        }
    }

    /// <summary>
    /// The patient sees every subscription to their calendar, with who made it; anyone else who may
    /// see the patient (caregiver, prescriber, office key, staff) sees only the ones they made.
    /// </summary>
    [Fact]
    public async Task CalendarFeeds_ThePatientSeesAll_OthersOnlyWhatTheyMade()
    {
        using var john = await app.LoginAsync("john", "demo-john-2026");
        using var carla = await app.LoginAsync("carla", "demo-carla-2026");
        using var park = await app.ParkAsync();
        using var office = app.Client(apiKey: Hosting.DemoSeed.OfficeKey);
        using var admin = await app.AdminAsync();
        var (carlas, _) = await MakeFeedAsync(carla);
        var (johns, _) = await MakeFeedAsync(john);
        var (parks, _) = await MakeFeedAsync(park);
        var (admins, _) = await MakeFeedAsync(admin);
        string[] all = [carlas, johns, parks, admins];

        var johnSees = await FeedsAsync(john);
        all.Except(johnSees.Keys).ShouldBeEmpty();
        johnSees[carlas].GetProperty("madeBy").GetString().ShouldBe("Carla Carter");
        johnSees[carlas].GetProperty("madeByRole").GetString().ShouldBe("caregiver");
        johnSees[carlas].GetProperty("mine").GetBoolean().ShouldBeFalse();
        johnSees[johns].GetProperty("mine").GetBoolean().ShouldBeTrue();
        johnSees[parks].GetProperty("madeByRole").GetString().ShouldBe("prescriber");
        johnSees[carlas].TryGetProperty("revokedAt", out _).ShouldBeFalse();
        johnSees[carlas].GetProperty("createdAt").GetString().ShouldNotBeNullOrEmpty();
        johnSees.Values.Any(f => f.TryGetProperty("url", out _) || f.TryGetProperty("tokenHash", out _)).ShouldBeFalse();

        foreach (var (who, client, own) in new[] { ("carla", carla, carlas), ("park", park, parks), ("admin", admin, admins) })
        {
            var seen = await FeedsAsync(client);
            seen.Keys.Intersect(all).ShouldBe([own], who);
            seen.Values.All(f => f.GetProperty("mine").GetBoolean()).ShouldBeTrue(who);
        }

        // The practice's key is another maker than the prescriber: it sees none of these.
        (await FeedsAsync(office)).Keys.Intersect(all).ShouldBeEmpty();
    }

    /// <summary>Another patient, a caregiver nobody granted and a pharmacy neither list a patient's feeds nor end one.</summary>
    [Fact]
    public async Task CalendarFeeds_AnotherPatientACaregiverWithoutGrantOrAPharmacy_AreRefused()
    {
        using var john = await app.LoginAsync("john", "demo-john-2026");
        var (johns, path) = await MakeFeedAsync(john);
        using var maria = await app.LoginAsync("maria", "demo-maria-2026");
        using var casey = await app.LoginAsync("casey", "demo-casey-2026");
        using var pharmacy = app.Pharmacy();
        using var ode = await app.LoginAsync("dr.ode", "demo-ode-2026");
        foreach (var (who, client) in new[] { ("maria", maria), ("casey", casey), ("pharmacy", pharmacy), ("ode", ode) })
        {
            (await client.GetJsonAsync("/api/v1/patients/pat_demo_john/calendar-feeds")).Code.ShouldBe(403, who);
            (await client.DeleteJsonAsync($"/api/v1/patients/pat_demo_john/calendar-feeds/{johns}")).Code.ShouldBe(403, who);
        }

        (await maria.DeleteJsonAsync($"/api/v1/patients/pat_demo_maria/calendar-feeds/{johns}")).Code.ShouldBe(404); // her own patient id does not reach John's feed
        using var anon = app.Client();
        (await StatusAsync(anon, path)).ShouldBe(200);
    }

    /// <summary>
    /// A feed answers only while its maker could still read the calendar: an office key removed
    /// (keys are removed from the database; there is no endpoint for it) takes its feeds with it,
    /// while the patient's own feed goes on.
    /// </summary>
    [Fact]
    public async Task AFeed_StopsWhenItsMakerCanNoLongerSeeThePatient()
    {
        var key = "office-" + Guid.NewGuid().ToString("N");
        var keyId = "key_" + Guid.NewGuid().ToString("N")[..12];
        await using (var db = await app.DbAsync())
        {
            db.ApiClients.Add(new Store.Entities.ApiClient
            {
                Id = keyId, Name = "Riverside front desk", KeyHash = Security.Secrets.Hash(key), Role = Store.Entities.Roles.PrescriberOffice, PracticeId = "riverside", CreatedAt = app.Clock.Now,
            });
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        using var office = app.Client(apiKey: key);
        using var john = await app.LoginAsync("john", "demo-john-2026");
        var (officeId, officePath) = await MakeFeedAsync(office);
        var (johnId, johnPath) = await MakeFeedAsync(john);
        using var anon = app.Client();
        (await StatusAsync(anon, officePath)).ShouldBe(200);

        await using (var db = await app.DbAsync())
        {
            (await db.ApiClients.Where(c => c.Id == keyId).ExecuteDeleteAsync(TestContext.Current.CancellationToken)).ShouldBe(1);
        }

        (await StatusAsync(anon, officePath)).ShouldBe(404);
        (await StatusAsync(anon, johnPath)).ShouldBe(200);

        // The patient's list says which addresses still show the calendar.
        var feeds = await FeedsAsync(john);
        feeds[officeId].GetProperty("answering").GetBoolean().ShouldBeFalse();
        feeds[officeId].TryGetProperty("revokedAt", out _).ShouldBeFalse();
        feeds[johnId].GetProperty("answering").GetBoolean().ShouldBeTrue();
    }

    private static async Task<(string Id, string Path)> MakeFeedAsync(HttpClient who)
    {
        var feed = await who.PostAsync("/api/v1/patients/pat_demo_john/calendar-feed");
        feed.Code.ShouldBe(201, feed.ToString());
        feed.Str("id").ShouldStartWith("feed_");
        return (feed.Str("id"), new Uri(feed.Str("url")).PathAndQuery);
    }

    private static async Task<Dictionary<string, System.Text.Json.JsonElement>> FeedsAsync(HttpClient who)
    {
        var list = await who.GetJsonAsync("/api/v1/patients/pat_demo_john/calendar-feeds");
        list.Code.ShouldBe(200, list.ToString());
        return list.Body.EnumerateArray().ToDictionary(f => f.GetProperty("id").GetString()!);
    }

    private static async Task<int> StatusAsync(HttpClient client, string path)
    {
        using var r = await client.GetAsync(path, TestContext.Current.CancellationToken);
        return (int)r.StatusCode;
    }

    /// <summary>
    /// The inbox hides a revoked caregiver's old reminders about the patient; marking one read by its
    /// id must not hand it back (title and detail name the patient and what is due).
    /// </summary>
    [Fact]
    public async Task RevokedCaregiver_CannotReadOldRemindersAboutThePatient()
    {
        using var john = await app.LoginAsync("john", "demo-john-2026");
        using var casey = await app.LoginAsync("casey", "demo-casey-2026");
        var grant = await john.PostAsync("/api/v1/patients/pat_demo_john/caregivers", new { username = "casey" });
        grant.Code.ShouldBeOneOf(200, 201);
        var id = "rem_access_" + Random.Shared.Next(100_000, 999_999);
        await using (var db = await app.DbAsync())
        {
            db.Reminders.Add(new Store.Entities.ReminderRecord
            {
                Id = id, UserId = "usr_demo_casey", PatientId = "pat_demo_john", Subject = id, Kind = "lab-due", DueOn = new NodaTime.LocalDate(2026, 11, 20),
                Title = "John's blood count is due", Detail = "John Carter needs a blood count before his next cycle.", RuleCode = "LABEL.CBC", RuleMessage = "m",
                RuleSource = "s", RuleEvidence = "e", Link = "/me?patient=pat_demo_john", CreatedAt = app.Clock.Now,
            });
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        (await casey.GetJsonAsync("/api/v1/me/reminders")).Raw.ShouldContain(id);
        using var revoke = await john.DeleteAsync($"/api/v1/patients/pat_demo_john/caregivers/{grant.Str("grantId")}", TestContext.Current.CancellationToken);
        ((int)revoke.StatusCode).ShouldBe(200);
        (await casey.GetJsonAsync("/api/v1/me/reminders")).Raw.ShouldNotContain(id);
        var read = await casey.PostAsync($"/api/v1/me/reminders/{id}/read");
        read.Code.ShouldBe(404, read.ToString());
        read.Raw.ShouldNotContain("John Carter");
    }

    [Fact]
    public async Task UncertifiedPharmacy_GetsNoConfirmation()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var admin = await app.AdminAsync();
        var other = await admin.PostAsync("/api/v1/pharmacies", new
        {
            ncpdpId = Rules.Rems.NcpdpId.FromSixDigits(Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture)).Value,
            npi = "1234567893", name = "Uncertified", kind = "site", representative = new { name = "Rep", attests = true },
        });
        var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Wrong Door"));
        using var key = app.Client(apiKey: other.Str("apiKey"));
        var r = await key.PostAsync($"/api/v1/authorizations/{a}/confirmations");
        r.Code.ShouldBe(422);
        r.Codes.ShouldContain("REMS.PHARMACY_NOT_CERTIFIED");
    }

    [Fact]
    public async Task SuspendedPrescriber_CannotAuthorize()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var admin = await app.AdminAsync();
        var npi = Rules.Rems.Npi.FromNineDigits("1" + Random.Shared.Next(10_000_000, 99_999_999)).Value;
        var user = "dr.s" + Random.Shared.Next(1000, 9999);
        var p = await admin.PostAsync("/api/v1/prescribers", new { npi, name = "Dr Suspended", practiceId = "susp", login = new { username = user, password = "suspend-pass-1" } });
        using var doctor = await app.LoginAsync(user, "suspend-pass-1");
        (await doctor.PostAsync($"/api/v1/prescribers/{p.Str("id")}/certifications", new { program = "THAL", trainingAttested = true, agreesToRequirements = true })).Code.ShouldBe(201);
        var patient = await Scenario.EnrollAsync(doctor, Scenario.Enrollment("Thal Man", "THAL", "male", menses: false));
        (await admin.PostAsync($"/api/v1/prescribers/{p.Str("id")}/certifications/THAL/suspend", new { reason = "Audit finding" })).Code.ShouldBe(200);
        var r = await Scenario.AuthorizeAsync(doctor, patient, "thalidomide");
        r.Code.ShouldBe(422);
        r.Codes.ShouldContain("REMS.PRESCRIBER_DEACTIVATED");
        (await admin.PostAsync($"/api/v1/prescribers/{p.Str("id")}/certifications/THAL/suspend", new { reason = "twice" })).Code.ShouldBe(409);
        (await admin.PostAsync($"/api/v1/prescribers/{p.Str("id")}/certifications/THAL/reinstate", new { reason = "Resolved" })).Code.ShouldBe(200);
        (await Scenario.AuthorizeAsync(doctor, patient, "thalidomide")).Code.ShouldBe(201);
    }
}

public sealed class SqliteAccessTests(SqliteApp app) : AccessTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresAccessTests(PostgresApp app) : AccessTests(app), IClassFixture<PostgresApp>;
