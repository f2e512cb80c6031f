using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Hosting;

/// <summary>A demo login as printed at start.</summary>
public sealed record DemoLogin(string Role, string Username, string Password, string What);

/// <summary>
/// Demo data for the README's run command: a certified prescriber in each of two practices, a
/// certified pharmacy (and a chain), patients in every risk category, one ready for an
/// authorization, one on hold, one mid-cycle. Written through the write gate, so it is audited
/// like everything else. Runs only on an empty database.
/// </summary>
public static class DemoSeed
{
    public const string PharmacyKey = "demo-key-main-street-pharmacy";
    public const string OfficeKey = "demo-key-riverside-office";

    public static readonly IReadOnlyList<DemoLogin> Logins =
    [
        new("admin", "admin", "demo-admin-2026", "Program administrator"),
        new("safety", "safety", "demo-safety-2026", "Safety staff"),
        new("prescriber", "dr.park", "demo-park-2026", "Dr. Ada Park, Riverside Hematology (certified: POM, LEN, THAL)"),
        new("prescriber", "dr.ode", "demo-ode-2026", "Dr. Ben Ode, Lakeside Oncology (another practice)"),
        new("pharmacist", "pharmacist", "demo-pharm-2026", "Main Street Specialty Pharmacy (certified)"),
        new("patient", "maria", "demo-maria-2026", "Maria Lopez: adult female who can get pregnant, pomalidomide, ready for authorization"),
        new("patient", "john", "demo-john-2026", "John Carter: adult male, lenalidomide, mid-cycle"),
        new("caregiver", "carla", "demo-carla-2026", "Carla Carter: John's caregiver (granted)"),
        new("caregiver", "casey", "demo-casey-2026", "Casey Brown: a caregiver with no grant"),
    ];

    public static async Task RunAsync(WriteGate gate, IDbContextFactory<ImidCareDb> dbs, CancellationToken ct)
    {
        await using (var check = await dbs.CreateDbContextAsync(ct))
        {
            if (await check.Users.AnyAsync(ct))
            {
                return;
            }
        }

        await gate.RunAsync(async (db, audit, now) =>
        {
            var seeder = new Seeder(db, audit, now);
            seeder.Build();
            await Task.CompletedTask;
            return 0;
        }, ct);

        // The inboxes show something at once: the reminders the job would make now, made the same way.
        await gate.RunAsync(async (db, audit, now) =>
        {
            var (added, _) = await Reminders.ReminderJob.StoreAsync(db, await Reminders.ReminderPlanner.DueAsync(db, now, ct), ct);
            audit.Append(new Actor("seed", "system"), "reminders.generated", "job/reminders", audit.Data(new { count = added.Count }));
            return 0;
        }, ct);
    }

    private sealed class Seeder(ImidCareDb db, AuditWriter audit, Instant now)
    {
        private static readonly Actor Seed = new("seed", "system");

        public void Build()
        {
            User("admin", "demo-admin-2026", Roles.Admin, "Program Administrator");
            User("safety", "demo-safety-2026", Roles.Safety, "Safety Officer");
            var park = Prescriber("prs_demo_park", "123456789", "Dr. Ada Park", "riverside", "Riverside Hematology", "dr.park", "demo-park-2026");
            // Dr. Ode is not yet certified for thalidomide: the self-certification page has something to do.
            var ode = Prescriber("prs_demo_ode", "198765432", "Dr. Ben Ode", "lakeside", "Lakeside Oncology", "dr.ode", "demo-ode-2026", programs: 2);
            db.ApiClients.Add(new ApiClient { Id = "key_demo_office", Name = "Riverside Hematology office", KeyHash = Secrets.Hash(OfficeKey), Role = Roles.PrescriberOffice, PracticeId = "riverside", CreatedAt = now });

            var main = Pharmacy("phy_demo_main", "123456", "Main Street Specialty Pharmacy", "site", null);
            db.ApiClients.Add(new ApiClient { Id = "key_demo_main", Name = "Main Street Specialty Pharmacy", KeyHash = Secrets.Hash(PharmacyKey), Role = Roles.PharmacySystem, PharmacyId = main, CreatedAt = now });
            User("pharmacist", "demo-pharm-2026", Roles.Pharmacist, "Pat Quinn, PharmD", pharmacy: main);
            var hq = Pharmacy("phy_demo_chainhq", "234567", "CareChain Headquarters", "chain-headquarters", null);
            Pharmacy("phy_demo_chain1", "345678", "CareChain #1", "site", hq);

            // A suspended certification for the administrator to review (reinstate or revoke).
            var lapsed = db.PharmacyCertifications.Local.First(c => c.PharmacyId == "phy_demo_chain1" && c.ProgramId == ProgramCatalog.Thalidomide.Id);
            lapsed.Status = nameof(CertificationStatus.Suspended);
            lapsed.StatusReason = "Staff training lapsed; new training records awaited.";

            var pom = ProgramCatalog.Pomalidomide;
            var len = ProgramCatalog.Lenalidomide;
            var thal = ProgramCatalog.Thalidomide;
            var today = now.InZone(pom.Zone).Date;

            // Ready for a first authorization: both pre-start tests on file.
            var maria = Patient("pat_demo_maria", "Maria Lopez", new LocalDate(1986, 4, 12), Sex.Female, pom, park, new(true, false, false, false), "maria", "demo-maria-2026");
            Test(maria, now - Duration.FromDays(12), "Dr. Ada Park");
            Test(maria, now - Duration.FromHours(3), "Dr. Ada Park");

            Patient("pat_demo_grace", "Grace Kim", new LocalDate(1958, 9, 3), Sex.Female, len, park, new(false, true, false, false));

            // Mid-cycle: dispensed 10 days ago, therapy started.
            var john = Patient("pat_demo_john", "John Carter", new LocalDate(1961, 1, 30), Sex.Male, len, park, new(false, false, false, false), "john", "demo-john-2026");
            MidCycle(john, len, main, today.PlusDays(-10));
            Companion(john, today.PlusDays(-10));

            Patient("pat_demo_lily", "Lily Chen", new LocalDate(today.Year - 16, 5, 1), Sex.Female, len, park, new(true, false, false, false), guardian: "Wei Chen");
            Patient("pat_demo_emma", "Emma Davis", new LocalDate(today.Year - 9, 2, 14), Sex.Female, thal, park, new(false, false, false, false), guardian: "Ruth Davis");
            Patient("pat_demo_sam", "Sam Patel", new LocalDate(today.Year - 15, 7, 7), Sex.Male, thal, park, new(false, false, false, false), guardian: "Anil Patel");

            // On hold: reported unprotected contact in the last survey.
            var rosa = Patient("pat_demo_rosa", "Rosa Diaz", new LocalDate(1990, 11, 2), Sex.Female, pom, park, new(true, false, false, false));
            db.Holds.Add(new HoldRecord
            {
                Id = "hold_demo_rosa", PatientId = rosa, Code = "CONTRACEPTION_LAPSE", Why = "The patient reports missed contraception or unprotected sexual contact.",
                ClearedByList = $"{HoldClearance.NegativePregnancyTestAfterHold},{HoldClearance.PrescriberCounseling}", OpenedAt = now - Duration.FromDays(1),
            });

            // Dr. Ode's patient: invisible to Dr. Park.
            Patient("pat_demo_omar", "Omar Haddad", new LocalDate(1955, 3, 21), Sex.Male, pom, ode, new(false, false, false, false));
            audit.Append(Seed, "demo.seeded", "system/demo", "{}");
        }

        private void User(string username, string password, string role, string name, string? prescriber = null, string? pharmacy = null, string? patient = null) =>
            db.Users.Add(new UserAccount
            {
                Id = $"usr_demo_{username.Replace(".", "_", StringComparison.Ordinal)}", Username = username, PasswordHash = SessionEndpoints.HashPassword(password), Role = role,
                DisplayName = name, PrescriberId = prescriber, PharmacyId = pharmacy, PatientId = patient, CreatedAt = now,
            });

        private string Prescriber(string id, string nine, string name, string practice, string practiceName, string username, string password, int programs = 3)
        {
            db.Practices.Add(new Practice { Id = practice, Name = practiceName });
            db.Prescribers.Add(new Prescriber { Id = id, Npi = Npi.FromNineDigits(nine).Value, Name = name, PracticeId = practice, CreatedAt = now });
            foreach (var p in ProgramCatalog.All.Take(programs))
            {
                db.PrescriberCertifications.Add(new PrescriberCertification
                {
                    Id = $"pcert_{id}_{p.Id}", PrescriberId = id, ProgramId = p.Id, Status = nameof(CertificationStatus.Certified), TrainingAttestedAt = now, CertifiedAt = now, UpdatedAt = now,
                });
            }

            User(username, password, Roles.Prescriber, name, prescriber: id);
            audit.Append(Seed, "prescriber.certified", $"prescriber/{id}", audit.Data(new { name, programs = string.Join(",", ProgramCatalog.All.Take(programs).Select(p => p.Id)) }));
            return id;
        }

        private string Pharmacy(string id, string six, string name, string kind, string? hq)
        {
            db.Pharmacies.Add(new Pharmacy
            {
                Id = id, NcpdpId = NcpdpId.FromSixDigits(six).Value, Npi = Npi.FromNineDigits("1" + six + "01").Value, Name = name, Kind = kind, HeadquartersId = hq,
                RepresentativeName = "Alex Morgan, RPh", RepresentativeAttestedAt = now, CreatedAt = now,
            });
            foreach (var p in ProgramCatalog.All.Take(3))
            {
                db.PharmacyCertifications.Add(new PharmacyCertification { Id = $"hcert_{id}_{p.Id}", PharmacyId = id, ProgramId = p.Id, Status = nameof(CertificationStatus.Certified), CertifiedAt = now, UpdatedAt = now });
                db.StaffTrainings.Add(new StaffTraining { Id = $"trn_{id}_{p.Id}", PharmacyId = id, StaffName = "Pat Quinn, PharmD", ProgramId = p.Id, CompletedOn = now.InUtc().Date, RecordedAt = now });
            }

            audit.Append(Seed, "pharmacy.certified", $"pharmacy/{id}", audit.Data(new { name, kind }));
            return id;
        }

        private string Patient(string id, string name, LocalDate dob, Sex sex, ProgramRules program, string prescriber, ReproductiveAnswers answers,
            string? username = null, string? password = null, string? guardian = null)
        {
            var category = RiskCategoryRules.Derive(PatientEndpoints.Facts(sex, dob, answers), program.Categories.Value, program.AdultAgeYears.Value, now.InZone(program.Zone).Date);
            var enrollment = $"enr_{id}";
            db.Patients.Add(new Patient { Id = id, Name = name, DateOfBirth = dob, Sex = sex.ToString(), PrescriberId = prescriber, MenstrualPattern = nameof(MenstrualPattern.Regular), GuardianName = guardian, CreatedAt = now });
            db.Enrollments.Add(new Enrollment
            {
                Id = enrollment, PatientId = id, ProgramId = program.Id, Category = category.Category!.Value.ToString(), Status = nameof(EnrollmentStatus.Enrolled), EnrolledAt = now,
                FactsJson = AuditData.Of(answers),
            });
            db.CategoryChanges.Add(new CategoryChange { Id = $"cat_{id}", EnrollmentId = enrollment, ToCategory = category.Category!.Value.ToString(), Reason = "Enrollment", FactsJson = AuditData.Of(answers), By = prescriber, At = now });
            db.Agreements.Add(new Agreement
            {
                Id = $"agr_{id}", EnrollmentId = enrollment, SignedBy = guardian ?? name, SignerRole = guardian is null ? "patient" : "guardian", SignedAt = now,
                TextVersion = program.AgreementTextVersion, TextSha256 = AgreementTexts.Sha256(program), WitnessedBy = prescriber,
            });
            if (username is not null)
            {
                User(username, password!, Roles.Patient, name, patient: id);
            }

            audit.Append(Seed, "patient.enrolled", $"patient/{id}", audit.Data(new { program = program.Id, category = category.Category }));
            return id;
        }

        private void Test(string patient, Instant at, string verifiedBy) => db.PregnancyTests.Add(new PregnancyTestRecord
        {
            Id = $"ptst_{patient}_{at.ToUnixTimeSeconds()}", PatientId = patient, SpecimenAt = at, Result = nameof(TestResult.Negative), SensitivityMiuPerMl = 25,
            Setting = nameof(TestSetting.Lab), VerifiedBy = verifiedBy, RecordedAt = now,
        });

        private void Companion(string patient, LocalDate start)
        {
            db.TreatmentPlans.Add(new TreatmentPlanRecord
            {
                Id = "plan_demo_john", PatientId = patient, RegimenId = "len-mm-rd", Start = start, UsualDoseTime = new LocalTime(8, 0),
                TimeZoneId = "America/New_York", HoldsJson = "[]", DialysisDaysJson = "[]", SetBy = "prs_demo_park", SetAt = now,
            });
            for (var d = 0; d < 10; d++)
            {
                db.DoseEntries.Add(new DoseEntryRecord
                {
                    Id = $"dose_demo_john_{d}", PatientId = patient, Date = start.PlusDays(d), Status = d == 6 ? "missed" : "taken", Capsules = d == 6 ? 0 : 1,
                    RecordedBy = "usr_demo_john", RecordedAt = now,
                });
            }

            int[] anc = [2400, 1900, 1300];
            int[] platelets = [210_000, 160_000, 120_000];
            for (var i = 0; i < anc.Length; i++)
            {
                db.LabResults.Add(new LabResultRecord
                {
                    Id = $"lab_demo_john_{i}", PatientId = patient, TakenOn = start.PlusDays((7 * i) - 7), Anc = anc[i], Platelets = platelets[i], HemoglobinGdL = 11.2m,
                    RecordedBy = "prs_demo_park", RecordedAt = now,
                });
            }

            decimal[] mProtein = [3.2m, 2.1m, 1.4m, 1.3m];
            for (var i = 0; i < mProtein.Length; i++)
            {
                var date = start.PlusDays(-84 + (28 * i));
                db.MyelomaAssessments.Add(new MyelomaAssessmentRecord
                {
                    Id = $"mass_demo_john_{i}", PatientId = patient, Date = date,
                    ValuesJson = $"{{\"date\":\"{Fmt.Date(date)}\",\"serumMProteinGdL\":{mProtein[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}}}",
                    RecordedBy = "prs_demo_park", RecordedAt = now,
                });
            }

            User("carla", "demo-carla-2026", Roles.Caregiver, "Carla Carter");
            User("casey", "demo-casey-2026", Roles.Caregiver, "Casey Brown");
            db.CaregiverGrants.Add(new CaregiverGrant { Id = "grant_demo_carla", PatientId = patient, CaregiverUserId = "usr_demo_carla", GrantedAt = now });
            audit.Append(Seed, "plan.set", $"patient/{patient}", audit.Data(new { regimen = "len-mm-rd", start }));

            // A side effect John's caregiver reported, for the cases page to show and move on.
            db.Cases.Add(new SafetyCase
            {
                Id = "case_demo_john_rash", Kind = "adverse-event", PatientId = patient, ReportedBy = "usr_demo_carla", OpenedAt = now - Duration.FromDays(3), Status = "open",
                FieldsJson = AuditData.Of(new
                {
                    serious = false,
                    medWatch = new
                    {
                        eventDescription = "Itchy red rash on both forearms from day 6 of cycle 1; no fever, no blisters.", outcomes = Array.Empty<string>(),
                        suspectProduct = "lenalidomide", reporterName = "Carla Carter", reporterOccupation = "caregiver", eventDate = Fmt.Date(start.PlusDays(6)),
                        dose = "25 mg", frequency = "once daily, days 1-21", route = "by mouth",
                    },
                }),
            });
            audit.Append(Seed, "case.opened", $"patient/{patient}", audit.Data(new { id = "case_demo_john_rash", kind = "adverse-event", serious = false }));
        }

        private void MidCycle(string patient, ProgramRules program, string pharmacy, LocalDate dispensedOn)
        {
            var issued = now - Duration.FromDays(11);
            var auth = RemsNumber.Create('A', 100_000_001).Value;
            var conf = RemsNumber.Create('C', 100_000_001).Value;
            var window = program.AuthorizationFromIssue.Value;
            var dayOne = issued.InZone(program.Zone).Date;
            db.Authorizations.Add(new AuthorizationRecord
            {
                Number = auth, PatientId = patient, PrescriberId = "prs_demo_park", ProgramId = program.Id, Drug = "lenalidomide", Category = nameof(RiskCategory.AdultMale),
                DaysSupply = 28, IssuedAt = issued, ValidThrough = window.LastDay(dayOne), ExpiresAt = window.ClosesAt(dayOne, program.Zone),
                State = nameof(AuthorizationState.Dispensed), Version = 3,
            });
            db.Confirmations.Add(new ConfirmationRecord { Number = conf, AuthorizationNumber = auth, PharmacyId = pharmacy, IssuedAt = issued, ExpiresAt = issued + program.ConfirmationValidity.Value, State = "dispensed", Version = 2 });
            db.Dispenses.Add(new DispenseRecord
            {
                Id = "dsp_demo_john", ConfirmationNumber = conf, AuthorizationNumber = auth, PatientId = patient, PharmacyId = pharmacy, Ndc = "59572041028", Quantity = 21, DaysSupply = 28,
                DispensedOn = dispensedOn, At = now - Duration.FromDays(10), ChecklistJson = "{}",
            });
            db.Surveys.Add(new SurveyRecord
            {
                Id = "srv_demo_john", PatientId = patient, ProgramId = program.Id, CompletedAt = now - Duration.FromDays(2), CompletedOn = now.InZone(program.Zone).Date.PlusDays(-2),
                AnswersJson = "{}", Outcome = "Allowed",
            });
            db.Enrollments.Local.First(e => e.PatientId == patient).TherapyStart = dispensedOn;
            audit.Append(Seed, "dispense.recorded", $"authorization/{auth}", audit.Data(new { patient, dispensedOn }));
        }
    }
}
