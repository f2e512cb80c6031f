using System.Text.Json;
using ImidCare.Server.Tests.Support;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// POST /authorizations/{number}/dispense: the confirmation decided and used in one commit. Each
/// test asks what two steps would have left (the authorization's state, the confirmation and
/// dispense rows, the two audit records with the decisions answered) and that a refusal of either
/// half leaves nothing but its audit record.
/// </summary>
public abstract class OneStepDispenseTests(ImidCareApp app)
{
    [Fact]
    public async Task OneStep_ConfirmsAndDispenses_AsTwoStepsWould_InOneCommit()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var patientId = await Scenario.ReadyFrpAsync(app, park, "Olive Onestep");
        var number = await Scenario.AuthorizedAsync(park, patientId);

        var r = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/dispense", Scenario.DispenseBody());
        r.Code.ShouldBe(201, r.ToString());
        var confirmation = r.Body.GetProperty("confirmation");
        var dispense = r.Body.GetProperty("dispense");
        var c = confirmation.GetProperty("number").GetString()!;
        c.ShouldStartWith("C");
        confirmation.GetProperty("authorizationNumber").GetString().ShouldBe(number);
        confirmation.GetProperty("patientName").GetString().ShouldBe("Olive Onestep");
        confirmation.GetProperty("decision").GetProperty("outcome").GetString().ShouldBe("allowed");
        dispense.GetProperty("confirmationNumber").GetString().ShouldBe(c);
        dispense.GetProperty("id").GetString()!.ShouldStartWith("dsp_");
        dispense.GetProperty("dispensedOn").GetString().ShouldBe("2026-11-17");
        Scenario.ReasonCodes(dispense.GetProperty("decision")).ShouldContain("REMS.COUNSELING_COMPLETE");

        // What two steps leave: the authorization dispensed, the therapy started, the confirmation used.
        var status = await park.GetJsonAsync($"/api/v1/patients/{patientId}");
        status.Body.GetProperty("therapyStart").GetString().ShouldBe("2026-11-17");
        status.Body.GetProperty("authorizations")[0].GetProperty("state").GetString().ShouldBe("Dispensed");
        (await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}")).Str("state").ShouldBe("Dispensed");

        await using var db = await app.DbAsync();
        var row = await db.Confirmations.AsNoTracking().SingleAsync(x => x.AuthorizationNumber == number, TestContext.Current.CancellationToken);
        row.Number.ShouldBe(c);
        row.State.ShouldBe("dispensed");
        row.IssuedAt.ShouldBe(app.Clock.Now);
        (await db.Dispenses.CountAsync(d => d.AuthorizationNumber == number && d.ConfirmationNumber == c, TestContext.Current.CancellationToken)).ShouldBe(1);

        // The trail: the same two records as two steps, each with the decision the pharmacy was answered.
        (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();
        var records = await db.Audit.Where(x => x.Subject == $"authorization/{number}").OrderBy(x => x.Seq).ToListAsync(TestContext.Current.CancellationToken);
        records.Select(x => x.Action).ShouldBe(["authorization.issued", "confirmation.issued", "dispense.recorded"]);
        var issued = await Scenario.AuditDataAsync(db, records[1]);
        issued.GetProperty("channel").GetString().ShouldBe("api-one-step");
        issued.GetProperty("confirmation").GetString().ShouldBe(c);
        issued.GetProperty("decision").GetRawText().ShouldBe(confirmation.GetProperty("decision").GetRawText());
        var recorded = await Scenario.AuditDataAsync(db, records[2]);
        recorded.GetProperty("decision").GetRawText().ShouldBe(dispense.GetProperty("decision").GetRawText());
        recorded.GetProperty("checklist").GetProperty("counselorName").GetString().ShouldBe("Pat Quinn");

        // Used: neither one step nor two can use it again.
        var again = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/dispense", Scenario.DispenseBody());
        again.Code.ShouldBe(409, again.ToString());
        (await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations")).Code.ShouldBe(409);
    }

    [Fact]
    public async Task AnIncompleteChecklist_IssuesNoConfirmation_AndTheAuthorizationStaysUsable()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var number = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Ivy Incomplete"));

        var partial = new
        {
            counselorName = "Pat Quinn", workPhone = "555-0100", medicationGuideGiven = true, sideEffectsDiscussed = true, noSharingDiscussed = true,
            noBloodDonationDiscussed = true, doNotBreakChewOpenDiscussed = true, doseInstructionsGiven = true, contraceptionDiscussed = false, guardianPresentForChild = false,
        };
        var refused = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/dispense", Scenario.DispenseBody(checklist: partial));
        refused.Code.ShouldBe(422, refused.ToString());
        refused.Codes.ShouldBe(["REMS.COUNSELING_INCOMPLETE"]);

        await using (var db = await app.DbAsync())
        {
            (await db.Confirmations.CountAsync(x => x.AuthorizationNumber == number, TestContext.Current.CancellationToken)).ShouldBe(0);
            (await db.Dispenses.CountAsync(x => x.AuthorizationNumber == number, TestContext.Current.CancellationToken)).ShouldBe(0);
            var actions = await db.Audit.Where(x => x.Subject == $"authorization/{number}").OrderBy(x => x.Seq).Select(x => x.Action).ToListAsync(TestContext.Current.CancellationToken);
            actions.ShouldBe(["authorization.issued", "dispense.refused"]);
        }

        (await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}")).Str("state").ShouldBe("Active");

        // Days supply beyond the authorization: refused by the dispense's rule, nothing issued either.
        var tooLong = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/dispense", Scenario.DispenseBody(days: 29));
        tooLong.Code.ShouldBe(422, tooLong.ToString());
        tooLong.Codes.ShouldContain("REMS.DAYS_SUPPLY_OUT_OF_RANGE");

        // The counselor finishes; the same authorization now goes through in two steps.
        var c = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations");
        c.Code.ShouldBe(201, c.ToString());
        (await Scenario.DispenseAsync(pharmacy, c.Str("number"))).Code.ShouldBe(201);
    }

    [Fact]
    public async Task ARefusedConfirmation_IsAnsweredAsPostConfirmationsAnswersIt()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var number = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Edna Expired"));

        // Past the authorization's window (7 days from the test for a patient who can get pregnant).
        app.Clock.Now = ImidCareApp.Start + Duration.FromDays(8);
        var oneStep = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/dispense", Scenario.DispenseBody());
        oneStep.Code.ShouldBe(422, oneStep.ToString());
        var twoStep = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations");
        twoStep.Code.ShouldBe(422, twoStep.ToString());
        oneStep.Codes.ShouldBe(twoStep.Codes);

        await using var db = await app.DbAsync();
        (await db.Confirmations.CountAsync(x => x.AuthorizationNumber == number, TestContext.Current.CancellationToken)).ShouldBe(0);
        (await db.Audit.CountAsync(x => x.Subject == $"authorization/{number}" && x.Action == "confirmation.denied", TestContext.Current.CancellationToken)).ShouldBe(2);
    }

    [Fact]
    public async Task BadInput_IsA400NamingTheField_AndAnUnknownNumberA404()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var pharmacy = app.Pharmacy();
        var badNumber = await pharmacy.PostAsync("/api/v1/authorizations/A123/dispense", Scenario.DispenseBody());
        badNumber.Code.ShouldBe(400, badNumber.ToString());
        badNumber.ErrorFields.ShouldBe(["number"]);

        var unknown = Rules.Rems.RemsNumber.Create('A', 987_654_321).Value;
        var badNdc = await pharmacy.PostAsync($"/api/v1/authorizations/{unknown}/dispense", new { ndc = "12", quantity = 21, daysSupply = 28, checklist = Scenario.FullChecklist });
        badNdc.Code.ShouldBe(400, badNdc.ToString());
        badNdc.ErrorFields.ShouldBe(["ndc"]);

        (await pharmacy.PostAsync($"/api/v1/authorizations/{unknown}/dispense", Scenario.DispenseBody())).Code.ShouldBe(404);
    }

    [Fact]
    public async Task Racing_And_Retried_OneSteps_DispenseOnce()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();

        // Six at once without a key: one dispenses, the others find it used.
        var raced = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Rae Race"));
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => pharmacy.PostAsync($"/api/v1/authorizations/{raced}/dispense", Scenario.DispenseBody())));
        results.Count(x => x.Code == 201).ShouldBe(1, string.Join("\n", results.Select(x => x.ToString())));
        results.Count(x => x.Code == 409).ShouldBe(5);

        // Six at once with one Idempotency-Key: all get the one answer.
        var keyed = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Kit Keyed"));
        var replies = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => pharmacy.PostAsync($"/api/v1/authorizations/{keyed}/dispense", Scenario.DispenseBody(), idempotencyKey: "one-step-" + keyed)));
        replies.ShouldAllBe(x => x.Code == 201);
        replies.Select(x => x.Body.GetProperty("dispense").GetProperty("id").GetString()).Distinct().Count().ShouldBe(1);

        await using var db = await app.DbAsync();
        (await db.Dispenses.CountAsync(d => d.AuthorizationNumber == raced || d.AuthorizationNumber == keyed, TestContext.Current.CancellationToken)).ShouldBe(2);
        (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();
    }

    /// <summary>
    /// The write's own guard, below the rules: an authorization whose version is not the one read
    /// (which the write gate never lets happen) fails the whole write, also on a first fill, where
    /// the enrollment's therapy start would otherwise make the row count look right; nothing stays.
    /// </summary>
    [Fact]
    public async Task TheWrite_RefusesAnAuthorizationChangedSinceItWasRead_AndKeepsNothing()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var patientId = await Scenario.ReadyFrpAsync(app, park, "Vera Version");
        var number = await Scenario.AuthorizedAsync(park, patientId);

        await using var db = await app.DbAsync();
        var a = await db.Authorizations.AsNoTracking().SingleAsync(x => x.Number == number, TestContext.Current.CancellationToken);
        var record = new Store.Entities.DispenseRecord
        {
            Id = "dsp_version_" + Guid.NewGuid().ToString("N")[..8], ConfirmationNumber = Rules.Rems.RemsNumber.Create('C', Random.Shared.Next(100_000_000, 999_999_999)).Value,
            AuthorizationNumber = number, PatientId = patientId, PharmacyId = "phy_demo_main", Ndc = "59572050421", Quantity = 21, DaysSupply = 28,
            DispensedOn = new LocalDate(2026, 11, 17), At = app.Clock.Now, ChecklistJson = "{}",
        };
        await using (var tx = await db.Database.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            await Should.ThrowAsync<DbUpdateConcurrencyException>(() =>
                Rems.CounterSql.RecordConfirmedDispenseAsync(db, record, app.Clock.Now + Duration.FromHours(24), a.Version + 1, a.ProgramId, TestContext.Current.CancellationToken));
        }

        (await db.Dispenses.CountAsync(x => x.AuthorizationNumber == number, TestContext.Current.CancellationToken)).ShouldBe(0);
        (await db.Confirmations.CountAsync(x => x.AuthorizationNumber == number, TestContext.Current.CancellationToken)).ShouldBe(0);
        (await db.Enrollments.AsNoTracking().Where(e => e.PatientId == patientId).Select(e => e.TherapyStart).SingleAsync(TestContext.Current.CancellationToken)).ShouldBeNull();
    }

    [Fact]
    public async Task ARefillInOneStep_KeepsTheTherapyStartOfTheFirstFill()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var user = "onestep" + Guid.NewGuid().ToString("N")[..8];
        var patientId = await Scenario.EnrollAsync(park, Scenario.Enrollment("Otto Onestep", sex: "male", menses: false, login: new { username = user, password = "patient-pass-1" }));
        var first = await pharmacy.PostAsync($"/api/v1/authorizations/{await Scenario.AuthorizedAsync(park, patientId)}/dispense", Scenario.DispenseBody());
        first.Code.ShouldBe(201, first.ToString());

        // 22 days later: the survey, then a refill in one step (the enrollment row is left alone).
        app.Clock.Now = ImidCareApp.Start + Duration.FromDays(22);
        using var parkLater = await app.ParkAsync();
        using var otto = await app.LoginAsync(user, "patient-pass-1");
        (await otto.PostAsync($"/api/v1/patients/{patientId}/surveys", Scenario.Survey())).Code.ShouldBe(201);
        var refill = await pharmacy.PostAsync($"/api/v1/authorizations/{await Scenario.AuthorizedAsync(parkLater, patientId)}/dispense", Scenario.DispenseBody());
        refill.Code.ShouldBe(201, refill.ToString());
        refill.Body.GetProperty("dispense").GetProperty("dispensedOn").GetString().ShouldBe("2026-12-09");

        var status = await parkLater.GetJsonAsync($"/api/v1/patients/{patientId}");
        status.Body.GetProperty("therapyStart").GetString().ShouldBe("2026-11-17");
    }
}

public sealed class SqliteOneStepDispenseTests(SqliteApp app) : OneStepDispenseTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresOneStepDispenseTests(PostgresApp app) : OneStepDispenseTests(app), IClassFixture<PostgresApp>;
