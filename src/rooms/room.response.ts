import type { MessageResponse } from '../messages/message.response.js';

export interface ParticipantResponse {
  id: string;
  name: string;
}

export interface RoomResponse {
  id: string;
  participants: ParticipantResponse[];
  createdAt: string;
  lastMessage: MessageResponse | null;
}
