using Microsoft.Extensions.DependencyInjection;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Infrastructure;

/// <summary>Lets Spectre.Console.Cli build commands from Microsoft's DI container.</summary>
internal sealed class TypeRegistrar(IServiceCollection services) : ITypeRegistrar
{
    public ITypeResolver Build() => new TypeResolver(services.BuildServiceProvider());

    public void Register(Type service, Type implementation) => services.AddSingleton(service, implementation);

    public void RegisterInstance(Type service, object implementation) => services.AddSingleton(service, implementation);

    public void RegisterLazy(Type service, Func<object> factory) => services.AddSingleton(service, _ => factory());

    // Not IDisposable on purpose: Spectre disposes the resolver after a run, and the provider would then dispose the
    // console it was handed (tests reuse one console across runs). The process ends right after a run anyway.
    private sealed class TypeResolver(ServiceProvider provider) : ITypeResolver
    {
        public object? Resolve(Type? type) => type is null ? null : provider.GetService(type);
    }
}
