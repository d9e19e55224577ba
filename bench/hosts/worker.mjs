// The hosts suite in a dedicated Web Worker (where heavy work belongs in a page): posts its figures back.
import * as tf from '/dist/index.js';
import { measureHost } from '/bench/hosts/body.mjs';

measureHost(tf).then((figures) => postMessage({ figures }), (error) => postMessage({ error: String(error?.stack ?? error) }));
