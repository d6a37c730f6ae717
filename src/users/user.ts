/** A person who can chat, as stored. */
export interface User {
  id: string;
  name: string;
  avatar: string | null;
}
