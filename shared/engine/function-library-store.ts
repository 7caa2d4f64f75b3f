/**
 * The function libraries of a server (FUNCTION LOAD) as the dataset layers see them: plain code strings, so
 * the RDB writer and reader, full syncs and the persistence code carry them without knowing about Lua. The
 * Node server's scripting layer (shared/scripting/function-libraries.ts) provides the store; a core without it
 * (edge, browser) has none and skips the libraries of the RDB files it reads.
 */
export interface FunctionLibraryStore {
  /** Every library's code, as FUNCTION LOAD received it, in the order RDB files and FUNCTION DUMP list them. */
  codes(): string[];
  /**
   * Starts loading the libraries of an RDB (file, full sync): `add` compiles each into a staging set and
   * returns Redis's error text when one cannot be loaded; `commit` makes the staging set the server's
   * libraries (replacing all of them), as Redis swaps its functions context after a load.
   */
  beginLoad(): FunctionLibraryLoad;
  /** INFO memory's number_of_libraries and number_of_functions. */
  counts(): { libraries: number; functions: number };
}

/** A load in progress (see FunctionLibraryStore.beginLoad). */
export interface FunctionLibraryLoad {
  add(code: string): string | null;
  commit(): void;
}
