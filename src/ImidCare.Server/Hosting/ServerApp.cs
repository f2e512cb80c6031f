using ImidCare.Server.Admin;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Reminders;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Server.Web;
using ImidCare.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Hosting;

/// <summary>Builds the web application: storage, authentication, JSON rules, endpoints.</summary>
public static class ServerApp
{
    public static StorageOptions Storage(IConfiguration config)
    {
        var provider = config["ImidCare:Storage:Provider"] ?? "Sqlite";
        var connection = config.GetConnectionString("ImidCare");
        return provider.Equals("postgres", StringComparison.OrdinalIgnoreCase) || provider.Equals("postgresql", StringComparison.OrdinalIgnoreCase)
            ? new StorageOptions(StorageProvider.Postgres, connection ?? throw new InvalidOperationException("ConnectionStrings:ImidCare is required for PostgreSQL."))
            : connection is null ? StorageOptions.DefaultSqlite("imidcare.db") : new StorageOptions(StorageProvider.Sqlite, connection);
    }

    public static void AddImidCare(this IServiceCollection services, StorageOptions storage)
    {
        services.AddSingleton(storage);
        services.AddPooledDbContextFactory<ImidCareDb>(storage.Configure);
        services.AddSingleton<SqlSessionPool>();
        services.AddSingleton<WriteGate>();
        services.AddSingleton<IClock>(NodaTime.SystemClock.Instance);
    }

    /// <summary>The pharmacy status check's cache and the watcher that keeps it honest about writes made elsewhere.</summary>
    public static void AddStatusCache(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton(StatusCacheOptions.From(config));
        services.AddSingleton<ExternalChanges>();
        services.AddHostedService(sp => sp.GetRequiredService<ExternalChanges>());
        services.AddSingleton<StatusCache>();
    }

    /// <summary>The reminder job and its email; the job's background loop only when ImidCare:Reminders:Enabled is not false.</summary>
    public static void AddReminders(this IServiceCollection services, IConfiguration config)
    {
        var options = ReminderOptions.From(config);
        services.AddSingleton(options);
        services.AddSingleton(SmtpOptions.Read(config));
        services.AddSingleton<ReminderMailer>();
        services.AddSingleton<ReminderJob>();
        if (options.Enabled)
        {
            services.AddHostedService<ReminderService>();
        }
    }

    /// <summary>The purge of Idempotency-Key answers past their window; its background loop only when ImidCare:Idempotency:PurgeEnabled is not false.</summary>
    public static void AddIdempotencyPurge(this IServiceCollection services, IConfiguration config)
    {
        var options = IdempotencyPurgeOptions.From(config);
        services.AddSingleton(options);
        services.AddSingleton<IdempotencyPurge>();
        if (options.Enabled)
        {
            services.AddHostedService<IdempotencyPurgeService>();
        }
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);

        // Per-request framework logging costs more than the request on the hot paths, and request
        // logs could carry patient identifiers in URLs: warnings only, whatever the config says.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        var storage = Storage(builder.Configuration);
        builder.Services.AddImidCare(storage);

        // First of the hosted services: they start in order, and Data Protection's (added by the
        // authentication and antiforgery services) reads the key ring from a table the migration creates.
        builder.Services.AddHostedService<DatabasePreparation>();
        Interop.InteropEndpoints.AddImidCareInterop(builder.Services);
        builder.Services.Configure<JsonOptions>(o => Json.Configure(o.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestHandler>();
        builder.Services.AddSingleton<ApiKeyCallers>();
        builder.Services.AddAuthentication(ImidCareAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ImidCareAuthHandler>(ImidCareAuthHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.Services.AddImidCareWeb();
        builder.Services.AddOpenApi();
        builder.Services.AddImidCareHardening(builder.Configuration);
        builder.Services.AddDatabaseKeyRing(builder.Configuration);
        builder.Services.AddReminders(builder.Configuration);
        builder.Services.AddIdempotencyPurge(builder.Configuration);
        builder.Services.AddStatusCache(builder.Configuration);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseImidCareHardening();
        app.UseJsonCharset();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi().AllowAnonymous();
        // The write gate's counters let the load script report how many requests each commit carried.
        app.MapGet("/health", (WriteGate gate, StatusCache cache) => Results.Ok(new
        {
            status = "ok", writes = new { commits = gate.Batches, requests = gate.Requests }, statusCache = new { hits = cache.Hits, misses = cache.Misses, notKept = cache.NotKept },
        })).AllowAnonymous();

        var api = app.MapGroup("/api/v1");
        api.MapGet("/ping", () => Results.Text("pong")).AllowAnonymous().WithSummary("No-op, for load tests: the HTTP limit of the machine.");
        SessionEndpoints.Map(api);
        ProgramEndpoints.Map(api);
        PrescriberEndpoints.Map(api);
        PharmacyEndpoints.Map(api);
        PatientEndpoints.Map(api);
        EnrollmentStatusEndpoints.Map(api);
        MonitoringEndpoints.Map(api);
        AuthorizationEndpoints.Map(api);
        SafetyEndpoints.Map(api);
        AuditEndpoints.Map(api);
        OutageEndpoints.Map(api);
        Therapy.TherapyEndpoints.Map(api);
        ReminderEndpoints.Map(api);
        Interop.InteropEndpoints.Map(app);
        app.UseImidCareWeb();
        return app;
    }

    /// <summary>Whether to seed demo data into an empty database (default yes: the README's run command is a demo).</summary>
    public static bool Demo(IConfiguration config) => Settings.On(config, "ImidCare:Demo");

    /// <summary>Migrates the database, and seeds the demo data when asked and the database is empty.</summary>
    public static async Task PrepareAsync(IServiceProvider services, bool demo, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<ImidCareDb>>();
        await DatabaseSetup.MigrateAsync(factory, ct);
        if (demo)
        {
            await DemoSeed.RunAsync(services.GetRequiredService<WriteGate>(), factory, ct);
        }
    }
}

/// <summary>Migrates (and seeds) before the server accepts its first request.</summary>
internal sealed class DatabasePreparation(IServiceProvider services, IConfiguration config) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ServerApp.PrepareAsync(services, ServerApp.Demo(config), cancellationToken);
        await KeyRing.WarmUpAsync(services, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
