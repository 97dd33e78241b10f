import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
for (const sql of process.argv.slice(2)) {
  const r = await con.runAndReadAll(sql);
  console.log(JSON.stringify({names: r.columnNames(), types: r.columnTypes().map(String), rows: r.getRowObjectsJson()}));
}
