/** The live chart: loss (train, validation) and accuracy (train, validation, per bit-width) per epoch, with Vega-Lite. */
import * as vega from "vega";
import * as vl from "vega-lite";

export interface Point {
  epoch: number;
  series: string;
  value: number;
  panel: "loss" | "accuracy";
}

function spec(points: Point[]): vl.TopLevelSpec {
  const panel = (name: Point["panel"], title: string) => ({
    width: 340,
    height: 220,
    title,
    transform: [{ filter: `datum.panel === '${name}'` }],
    mark: { type: "line" as const, point: true },
    encoding: {
      x: { field: "epoch", type: "quantitative" as const, axis: { tickMinStep: 1 }, title: "epoch" },
      y: { field: "value", type: "quantitative" as const, title: name, scale: { zero: false } },
      color: { field: "series", type: "nominal" as const, title: null },
      tooltip: [{ field: "series" }, { field: "epoch" }, { field: "value", format: ".4f" }],
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { values: points },
    hconcat: [panel("loss", "Loss"), panel("accuracy", "Accuracy (validation at 8, 6, 4 bits)")],
    resolve: { scale: { color: "independent" } },
  } as vl.TopLevelSpec;
}

let view: vega.View | undefined;

/** Draws (or redraws) the chart into `container` as SVG. */
export async function drawChart(container: HTMLElement, points: Point[]): Promise<void> {
  view?.finalize();
  container.replaceChildren();
  view = new vega.View(vega.parse(vl.compile(spec(points)).spec), { renderer: "svg", container, hover: true });
  await view.runAsync();
}
