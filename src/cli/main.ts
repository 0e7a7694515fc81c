// Placeholder entry replaced by the real command registry in the next commit.
export async function main(_argv: string[]): Promise<number> {
  return 0;
}
