// Reports of a gateway comparison (runner/targets): the comparison table and the data of
// the overhead-distribution chart.
export { gatewayTable, renderGatewayTable, renderGatewayMarkdown, METRICS, type GatewayTable } from './table.js';
export { gatewayOverheadSeries, type OverheadSeries, type NinesDistribution } from './series.js';
