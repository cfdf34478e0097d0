using System.Globalization;
using NodeImager.Core.Configuration;
using NodeImager.Core.Images;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;

// User-data sizes from the real renderer: a 1 master + 3 workers cluster on stock Ubuntu and on each recipe's golden
// image (same spec, plus the marker), and each recipe's builder document. EC2 takes at most 16,384 bytes.
var root = args.Length > 0 ? args[0] : Directory.GetCurrentDirectory();
var templates = TemplateCatalog.LoadOrThrow(Path.Combine(root, "templates"));
var problems = new List<SpecProblem>();
var recipes = RecipeCatalog.Load(Path.Combine(root, "images"), problems).Recipes;
var expiresAt = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
var spec = ClusterSpecLoader.Load(new ConfigInputs { WorkingDirectory = root, Flags = [new FlagValue(ConfigKeys.Name.Path, "bench", "--name"), new FlagValue(ConfigKeys.Workers.Path, "3", "--workers")] }, problems)!;
if (problems.Count > 0)
{
    throw new SpecValidationException(problems);
}

static string Row(string label, RenderedDocument d) =>
    string.Create(CultureInfo.InvariantCulture, $"  {label,-44} {d.TextBytes,7} {d.UserData.Length,9} {(d.Gzipped ? "gzip" : "plain"),-6} {100.0 * d.UserData.Length / RenderedDocument.MaxUserDataBytes,5:0}% of 16,384");

Console.WriteLine("User-data (bytes): document                                   text  user-data  encoding  share of EC2's limit");
var stock = new ClusterRenderer(templates).Render(spec, new RenderOptions(expiresAt));
Console.WriteLine(Row("stock master", stock.Master));
Console.WriteLine(Row("stock worker", stock.Worker));
foreach (var recipe in recipes)
{
    var golden = new ClusterRenderer(templates).Render(spec with { Image = new ImageChoice(recipe.Name) }, new RenderOptions(expiresAt, BuilderDocument.MarkerFor(recipe)));
    Console.WriteLine(Row($"golden master ({recipe.Name})", golden.Master));
    Console.WriteLine(Row($"golden worker ({recipe.Name})", golden.Worker));
    Console.WriteLine(Row($"builder ({recipe.Name})", BuilderDocument.Render(templates, recipe, ImageTags.BakeName(recipe.Name, "0123abcd"), expiresAt)));
}
