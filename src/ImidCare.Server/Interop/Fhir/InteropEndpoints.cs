using ImidCare.Server.Interop.CdsHooks;
using ImidCare.Server.Interop.Fhir;
using ImidCare.Server.Interop.Ncpdp;

namespace ImidCare.Server.Interop;

/// <summary>The interoperability layer: FHIR R4, CDS Hooks 2.0 and NCPDP SCRIPT REMS messages (docs/interop.md).</summary>
public static class InteropEndpoints
{
    public static IServiceCollection AddImidCareInterop(this IServiceCollection services)
    {
        // Every call to an EHR (its FHIR server, its JWKS, the denial outbox) waits 5 s at most.
        services.AddHttpClient("ehr", c => c.Timeout = TimeSpan.FromSeconds(5));
        services.AddSingleton<CdsJwt>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<DenialNotices>();
        services.AddHostedService<OutboxDispatcher>();
        return services;
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        FhirEndpoints.Map(app);
        CdsHooksEndpoints.Map(app);
        NcpdpEndpoint.Map(app);
    }
}
